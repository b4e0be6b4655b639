import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { findExecutable } from "../harness/processes.js";
import { ROOT, run, transcript } from "../sdk/support.js";
import { sleep } from "../support/waitFor.js";
import { docBlock } from "./docBlocks.js";

// The README's "installed as a package": `npm pack`, then `npm install -g` of
// the tarball into an empty prefix, as docs/DEPLOYMENT.md says; then the
// systemd unit is checked against that install, and the guide's quickstart
// runs as written with the installed `easytask`.

const work = mkdtempSync(join(tmpdir(), "easytask-package-"));
// A machine's file system as `systemd-analyze verify --root` reads it, with
// the package installed under usr/local as the guide installs it.
const machine = join(work, "root");
const prefix = join(machine, "usr", "local");
// npm sets npm_* variables for the scripts it runs (`npm test`); a user's shell has none.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_"))) as Record<string, string>;

after(() => rmSync(work, { recursive: true, force: true }));

describe("the npm package", () => {
  let tarball = "";
  let packed: string[] = [];

  before(async () => {
    // `npm test` has just built dist/; `npm pack` alone would build it again (prepare).
    assert.ok(existsSync(join(ROOT, "dist", "src", "main.js")), "run npm run build first");
    const ran = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { env: userEnv });
    assert.equal(ran.code, 0, transcript("npm pack", ran));
    const [info] = JSON.parse(ran.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, info!.filename);
    packed = info!.files.map((f) => f.path);
  });

  test("holds what a run needs, the license, and no tests, sources or source maps", () => {
    for (const needed of ["bin/easytask.js", "dist/src/main.js", "dist/gen/easytask/v1/task_pb.js", "dist/console/index.html", "proto/easytask/v1/task.proto", "LICENSE", "README.md", "package.json"]) {
      assert.ok(packed.includes(needed), `${needed} is packed`);
    }
    assert.ok(packed.some((p) => p.startsWith("dist/console/assets/") && p.endsWith(".js")), "the console's script is packed");
    const unwanted = packed.filter((p) => /^(src|test|console|gen|clients|bench|scripts|docs|dist\/test|dist\/bench|dist\/clients)\//.test(p) || /\.(ts|map)$/.test(p));
    assert.deepEqual(unwanted, []);
    assert.match(readFileSync(join(ROOT, "LICENSE"), "utf8"), /^MIT License\n\nCopyright \(c\) 2026 the easytask authors\n/);
  });

  test("installs with npm install -g into an empty prefix, without the dev dependencies", async () => {
    mkdirSync(prefix, { recursive: true });
    const ran = await run("npm", ["install", "-g", "--prefix", prefix, "--allow-scripts=better-sqlite3", tarball], { env: userEnv, cwd: work });
    assert.equal(ran.code, 0, transcript("npm install -g", ran));
    const installed = join(prefix, "lib", "node_modules", "easytask");
    assert.ok(existsSync(join(prefix, "bin", "easytask")), "bin/easytask is linked");
    assert.ok(existsSync(join(installed, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node")), "the native module was built");
    for (const dev of ["typescript", "vite", "preact", "playwright-core", "@bufbuild/buf", "@bufbuild/protoc-gen-es"]) {
      assert.ok(!existsSync(join(installed, "node_modules", dev)), `no ${dev}`);
    }
  });

  test("the systemd unit verifies against that install", async () => {
    // systemd-analyze resolves the unit's dependencies (sysinit.target …) and
    // ExecStart inside the root: give it the machine's own units and ours.
    cpSync("/usr/lib/systemd/system", join(machine, "usr", "lib", "systemd", "system"), { recursive: true });
    mkdirSync(join(machine, "etc", "systemd", "system"), { recursive: true });
    cpSync(join(ROOT, "deploy", "systemd", "easytask.service"), join(machine, "etc", "systemd", "system", "easytask.service"));
    const analyze = findExecutable(["systemd-analyze"], "install systemd (Debian: apt-get install systemd)");
    const ran = await run(analyze, ["verify", `--root=${machine}`, "easytask.service"], { env: userEnv });
    assert.equal(ran.code, 0, transcript("systemd-analyze verify", ran));
    assert.equal(ran.stderr, "", "no warnings");
  });

  test("the quickstart of docs/DEPLOYMENT.md, as written, with the installed easytask", async () => {
    const home = join(work, "home");
    mkdirSync(home);
    const script = join(work, "quickstart.sh");
    writeFileSync(script, docBlock("quickstart"));
    // In a network namespace of its own, so that its fixed ports (8801, 9000)
    // meet nothing else on this machine; the group is the script and what it
    // started in the background.
    const ip = findExecutable(["ip"], "install iproute2");
    const proc = spawn("unshare", ["--net", "--", "bash", "-c", `${ip} link set lo up && exec bash -e ${script}`], {
      cwd: home,
      env: { ...userEnv, PATH: `${join(prefix, "bin")}:${userEnv.PATH}` },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const limit = setTimeout(() => process.kill(-proc.pid!, "SIGKILL"), 90_000);
    const code = await new Promise<number | null>((resolve) => proc.once("close", resolve));
    clearTimeout(limit);
    const said = `--- stdout\n${stdout}\n--- stderr\n${stderr}`;
    assert.equal(code, 0, said);
    // `kill %1 %2` asked easytask to stop: it drains, then exits.
    await groupGone(proc.pid!);

    const answers = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, any>);
    const envelopes = answers.filter((a) => "code" in a);
    assert.deepEqual(envelopes.map((e) => e.code), [0, 0], said);
    assert.equal(envelopes[1]!.data.task_id, "1", said);
    const runs = answers.find((a) => "task_logs" in a)!.task_logs as { state: string; task_name: string }[];
    assert.ok(runs.length >= 1 && runs.every((r) => r.state === "RUN_STATE_SUCCEEDED" && r.task_name === "hello"), said);
    assert.ok(stdout.includes("task server: ran hello, run 1"), said);
    const servers = answers.find((a) => "task_servers" in a)!.task_servers as { routes?: unknown[]; evicted_routes?: unknown[] }[];
    assert.equal(servers.length, 1, said);
    assert.equal(servers[0]!.routes?.length, 1, "the route is registered, not evicted");
    assert.equal(servers[0]!.evicted_routes, undefined);

    const log = readFileSync(join(home, "easytask-demo", "easytask.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { msg: string; port?: number });
    assert.equal(log.find((l) => l.msg === "easytask node started")?.port, 8801);
    assert.ok(log.some((l) => l.msg === "shutting down"));
  });
});

// Waits for every process of the group to exit; SIGKILLs what is left after 15 s.
async function groupGone(pgid: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(-pgid, "SIGKILL");
      assert.fail("the quickstart's processes did not exit after kill %1 %2");
    }
    await sleep(50);
  }
}
