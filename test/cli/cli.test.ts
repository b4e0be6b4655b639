import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startEtcd, type PrivateEtcd } from "../harness/etcd.js";
import { clients, postDocumented } from "../support/api.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";
import { runEasytask, startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

const dir = mkdtempSync(join(tmpdir(), "easytask-cli-"));
let n = 0;
const writeConf = (conf: unknown) => {
  const path = join(dir, `conf${++n}.json`);
  writeFileSync(path, typeof conf === "string" ? conf : JSON.stringify(conf));
  return path;
};
const PORT0 = { api_server: { http: { host: "127.0.0.1", port: 0 } } };

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stopSharedMariaDb();
});

describe("the easytask command", () => {
  test("a bad config is refused with one line naming the key, and exit code 1", async () => {
    const cases: [unknown, string][] = [
      [{ api_server: { http: { prot: 1 } } }, "api_server.http.prot"],
      [{ api_server: { http: { port: "abc" } } }, "api_server.http.port"],
      [{ mysql: { dsn: "root@nowhere" } }, "mysql.dsn"],
      ["{ not json", "invalid JSON"],
    ];
    for (const [conf, key] of cases) {
      const { code, stderr } = await runEasytask(["-c", writeConf(conf)]);
      assert.equal(code, 1);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
      assert.ok(stderr.includes(key), `${stderr} should name ${key}`);
    }
    const missing = await runEasytask(["-c", join(dir, "absent.json")]);
    assert.equal(missing.code, 1);
    const badFlag = await runEasytask(["--nope"]);
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /--help/);
  });

  test("--help and --version print and exit 0, starting nothing", async () => {
    for (const flag of ["--help", "-h"]) {
      const help = await runEasytask([flag]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: easytask \[-c FILE \| --config FILE\]/);
      assert.match(help.stdout, /EASYTASK_API_SERVER__HTTP__PORT/);
    }
    const version = await runEasytask(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    const { version: expected } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(version.stdout, `easytask ${expected}\n`);
  });

  test("listening beyond loopback without auth.tokens warns at start, naming the address and what to do", async () => {
    const env = { EASYTASK_SQLITE__PATH: join(dir, "open", "easytask.db"), EASYTASK_API_SERVER__HTTP__PORT: "0" };
    const warning = (node: NodeProcess) => node.lines().filter((l) => l.level === "warn" && /open to the network/.test(String(l.msg)));
    const open = await startNodeProcess([], { ...env, EASYTASK_API_SERVER__HTTP__HOST: "0.0.0.0" });
    const guarded = await startNodeProcess([], { ...env, EASYTASK_API_SERVER__HTTP__HOST: "0.0.0.0", EASYTASK_AUTH__TOKENS: "cli-test-token-0123456789" });
    try {
      const [line] = warning(open);
      assert.equal(line?.address, `0.0.0.0:${open.port}`);
      assert.match(String(line?.msg), /auth\.tokens/);
      assert.match(String(line?.msg), /127\.0\.0\.1/);
      assert.deepEqual(warning(guarded), []);
    } finally {
      await open.stop();
      await guarded.stop();
    }
  });

  test("starts with defaults plus environment overrides, serves, and exits 0 on SIGTERM", async () => {
    const node = await startNodeProcess([], {
      EASYTASK_SQLITE__PATH: join(dir, "env", "easytask.db"),
      EASYTASK_API_SERVER__HTTP__PORT: "0",
      EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
      // One environment (or compose env file) for the server and its clients.
      EASYTASK_URL: "http://127.0.0.1:8801",
      EASYTASK_TOKEN: "client-token-0123456789",
      EASYTASK_REPORTS_QUEUE: "q1",
    });
    const res = await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: 9 });
    assert.equal(res.json.code, 0);
    const said = (msg: string) => node.lines().filter((l) => l.msg === msg).map((l) => [l.level, l.names]);
    assert.deepEqual(said("environment variables for clients are not read by the server (its API tokens are auth.tokens)"), [["info", ["EASYTASK_TOKEN", "EASYTASK_URL"]]]);
    assert.deepEqual(said("environment variables that match no config key are ignored"), [["warn", ["EASYTASK_REPORTS_QUEUE"]]]);
    const otherWarnings = node.lines().filter((l) => l.level === "warn" && l.msg !== "environment variables that match no config key are ignored");
    assert.deepEqual(otherWarnings, [], "on loopback, an open API is no warning");
    const { code } = await node.stop("SIGTERM");
    assert.equal(code, 0);
  });
});

for (const dialect of DIALECTS) {
  describe(`two easytask processes on one ${dialect} database`, () => {
    const worker = new FakeTaskServer();
    before(() => worker.start());
    after(() => worker.stop());

    test("both schedule, and no run is called back twice", async () => {
      const { store, cleanup } = await freshStore(dialect);
      const conf = writeConf({ ...PORT0, ...(store.kind === "sqlite" ? { sqlite: { path: store.path } } : { mysql: { dsn: store.url } }) });
      const nodes: NodeProcess[] = [await startNodeProcess(["-c", conf]), await startNodeProcess(["-c", conf])];
      try {
        assert.equal((await postDocumented(nodes[0].port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port })).json.code, 0);
        for (let i = 0; i < 10; i++) {
          const res = await postDocumented(nodes[i % 2].port, "/add_task", { name: `t${i}`, srv_name: "w", callback_path: `/${dialect}`, sched_mode: 3, time_interval_sec: 1 });
          assert.equal(res.json.code, 0, res.json.msg);
        }
        await waitFor("three runs of every task", () => worker.tasks(`/${dialect}`), (c) => c.filter((r) => r.body.run_times === 3).length === 10);
      } finally {
        for (const node of nodes) assert.equal((await node.stop()).code, 0);
      }
      const runs = worker.tasks(`/${dialect}`).map((r) => `${r.body.task_id}:${r.body.run_times}`);
      assert.equal(new Set(runs).size, runs.length, "no (task_id, run_times) twice");
      cleanup();
    });
  });
}

describe("the Go original's conf.json with elect_driver etcd", () => {
  let etcd: PrivateEtcd;
  before(async () => {
    etcd = await startEtcd();
  });
  after(() => etcd.stop());

  test("starts nodes on MySQL that share the shards; SIGTERM hands a node's shards over", async () => {
    const { store } = await freshStore("mysql");
    assert.equal(store.kind, "mysql");
    if (store.kind !== "mysql") return;
    const goDsn = `${store.user}:${store.password}@tcp(${store.host}:${store.port})/${store.database}?charset=utf8mb4&parseTime=True&loc=Local`;
    const conf = writeConf({
      cluster_name: "easy_task",
      task_worker_pool_size: 50,
      health_check_worker_pool_size: 100,
      elect_driver: "etcd",
      mysql: { dsn: goDsn },
      etcd: { endpoints: [etcd.endpoint.replace("http://", "")] },
      redis: { nodes: [{ host: "127.0.0.1", port: 6379, password: "" }] },
      log: { log_dir: "/var/log/easytask/", level: "debug", file_size: 1073741824 },
      api_server: { http: { host: "127.0.0.1", port: 0, pprof_port: 8802 } },
    });
    const nodes = [await startNodeProcess(["-c", conf]), await startNodeProcess(["-c", conf])];
    const views = (of: NodeProcess[]) => Promise.all(of.map((n) => clients(n.port).cluster.getCluster({})));
    try {
      await waitFor("both nodes to lead shards, every shard led once", () => views(nodes), (vs) => vs.every((v) => v.shards.length > 0) && vs.reduce((n, v) => n + v.shards.length, 0) === 64);
      assert.equal((await postDocumented(nodes[0].port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: 9 })).json.code, 0);
      const [first, other] = nodes;
      assert.equal((await first!.stop()).code, 0);
      await waitFor("the other node to lead every shard", () => views([other!]), ([v]) => v!.shards.length === 64, 5000);
    } finally {
      for (const node of nodes) if (node.proc.exitCode === null) await node.stop();
    }
  });
});
