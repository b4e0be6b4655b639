import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findExecutable } from "../harness/processes.js";
import { freePort } from "../harness/ports.js";
import { ROOT, run, transcript, type Ran } from "../sdk/support.js";
import { postDocumented } from "../support/api.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

// deploy/container/Containerfile, built with podman from the package tarball
// and run: it serves, calls a task server back, stops cleanly on SIGTERM, and
// keeps its SQLite data on its volume across a restart.
//
// No image registry is reachable here, so the test makes the base image the
// Containerfile's two stages start from (node:20-bookworm and -slim): Debian
// 12 from debootstrap with this machine's Node 20 (and npm, headers) in
// /usr/local and a `node` user, as in those images; python3, make and g++
// build the native SQLite module. podman keeps its images in a private store,
// and runs with runc, since crun refuses this machine's hybrid cgroup hierarchy.

const work = mkdtempSync(join(tmpdir(), "easytask-container-"));
const podmanBin = findExecutable(["podman"], "install podman and runc (Debian: apt-get install podman runc)");
const storage = ["--root", join(work, "storage"), "--runroot", join(work, "run"), "--tmpdir", join(work, "tmp"), "--storage-driver", "overlay"];
const podman = (...args: string[]): Promise<Ran> => run(podmanBin, [...storage, "--runtime", "runc", "--cgroup-manager", "cgroupfs", "--events-backend", "file", ...args], { cwd: work });
async function ok(ran: Promise<Ran>, what: string): Promise<string> {
  const done = await ran;
  assert.equal(done.code, 0, transcript(what, done));
  return done.stdout.trim();
}

const DEBIAN_PACKAGES = "ca-certificates,python3,make,g++";
const BASE = "localhost/easytask-test-node:20";
const IMAGE = "localhost/easytask:test";

// debootstrap takes a minute or two: its result is kept between runs.
async function debianTarball(): Promise<string> {
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "easytask-test");
  const tarball = join(cache, `debian-bookworm-${createHash("sha256").update(DEBIAN_PACKAGES).digest("hex").slice(0, 12)}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(cache, { recursive: true });
  const rootfs = join(work, "rootfs");
  const debootstrap = findExecutable(["debootstrap"], "install debootstrap");
  await ok(run(debootstrap, ["--variant=minbase", `--include=${DEBIAN_PACKAGES}`, "bookworm", rootfs]), "debootstrap");
  await ok(run("tar", ["-C", rootfs, "-cf", `${tarball}.tmp`, "."]), "tar");
  renameSync(`${tarball}.tmp`, tarball);
  rmSync(rootfs, { recursive: true, force: true });
  return tarball;
}

async function buildBase(): Promise<void> {
  await ok(podman("import", await debianTarball(), "localhost/easytask-test-debian:bookworm"), "podman import");
  const context = join(work, "base");
  const node = join(context, "node");
  const nodePrefix = dirname(dirname(process.execPath));
  const npmRoot = dirname(dirname(realpathSync(findExecutable(["npm"], "install npm"))));
  cpSync(process.execPath, join(node, "bin", "node"));
  cpSync(npmRoot, join(node, "lib", "node_modules", "npm"), { recursive: true });
  cpSync(join(nodePrefix, "include", "node"), join(node, "include", "node"), { recursive: true });
  // This machine may reach the registries through a proxy with a CA of its
  // own (NODE_EXTRA_CA_CERTS): the images trust what this machine trusts.
  cpSync(process.env.NODE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt", join(context, "ca-certificates.crt"));
  writeFileSync(
    join(context, "Containerfile"),
    [
      "FROM localhost/easytask-test-debian:bookworm",
      "COPY node/ /usr/local/",
      "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
      "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
      "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && useradd --uid 1000 --create-home node",
      // node-gyp takes the headers from here rather than downloading them.
      "ENV npm_config_nodedir=/usr/local",
      "",
    ].join("\n"),
  );
  await ok(podman("build", "--layers=false", "-t", BASE, context), "podman build (base)");
}

describe("the container image", () => {
  const worker = new FakeTaskServer();
  let port = 0;

  before(async () => {
    await worker.start();
    port = await freePort();
    await buildBase();
    assert.ok(existsSync(join(ROOT, "dist", "src", "main.js")), "run npm run build first");
    const context = join(work, "context");
    mkdirSync(context);
    await ok(run("npm", ["pack", "--ignore-scripts", "--pack-destination", context]), "npm pack");
    const containerfile = join(ROOT, "deploy", "container", "Containerfile");
    // The build's npm install reaches the npm registry through the host's
    // network, and takes the packages this machine's npm has already fetched
    // from its cache (a volume of the build only: nothing of it is in the image).
    const npmCache = join(process.env.npm_config_cache ?? join(homedir(), ".npm"), "_cacache");
    mkdirSync(npmCache, { recursive: true });
    const build = ["--layers=false", "--network", "host", "--volume", `${npmCache}:/root/.npm/_cacache`];
    await ok(podman("build", ...build, "-f", containerfile, "--build-arg", `BUILD_IMAGE=${BASE}`, "--build-arg", `NODE_IMAGE=${BASE}`, "-t", IMAGE, context), "podman build");
  });

  after(async () => {
    await podman("rm", "--force", "--all");
    await worker.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("runs as the node user, serves, calls back, stops on SIGTERM, and keeps its data across a restart", async () => {
    assert.equal(await ok(podman("image", "inspect", IMAGE, "--format", "{{.Config.User}}"), "inspect"), "node");
    const env = { EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1", EASYTASK_API_SERVER__HTTP__PORT: String(port), EASYTASK_HEALTH_CHECK_INTERVAL_SEC: "0.2" };
    // Limits below any host's: as root, podman asks runc to raise the
    // open-files and process limits to the maximum, which a sandboxed host
    // may refuse ("error setting rlimit type 7: operation not permitted");
    // lowering a limit is always allowed, and the test needs few of either.
    await ok(podman("run", "--detach", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096", "--name", "easytask", "--network", "host", "--volume", "easytask-data:/var/lib/easytask", ...Object.entries(env).flatMap(([k, v]) => ["--env", `${k}=${v}`]), IMAGE), "podman run");
    const ready = () => waitFor("the container to be ready", () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0), (s) => s === 200, 30_000);
    await ready();

    assert.equal((await postDocumented(port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port, is_enable_health_check: true })).json.code, 0);
    const added = await postDocumented(port, "/add_task", { name: "in-container", srv_name: "w", callback_path: "/c", sched_mode: 3, time_interval_sec: 1 });
    assert.equal(added.json.code, 0, added.json.msg);
    await waitFor("a callback from the container", () => worker.tasks("/c").length, (n) => n >= 1);

    await ok(podman("stop", "--time", "30", "easytask"), "podman stop");
    assert.equal(await ok(podman("inspect", "easytask", "--format", "{{.State.ExitCode}}"), "inspect"), "0");
    const logs = (await ok(podman("logs", "easytask"), "podman logs")).split("\n").map((l) => JSON.parse(l) as { msg: string; signal?: string });
    assert.ok(logs.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"), "drained on SIGTERM");

    // Same volume: the task and its runs are still there, and it runs on.
    const before = worker.tasks("/c").length;
    await ok(podman("start", "easytask"), "podman start");
    await ready();
    const got = await fetch(`http://127.0.0.1:${port}/easytask.v1.TaskService/GetTask`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ task_id: (added.json.data as { task_id: string }).task_id }) });
    assert.equal(got.status, 200);
    assert.equal(((await got.json()) as { task: { name: string } }).task.name, "in-container");
    await waitFor("callbacks after the restart", () => worker.tasks("/c").length, (n) => n > before);
    await ok(podman("stop", "--time", "30", "easytask"), "podman stop");
  });
});
