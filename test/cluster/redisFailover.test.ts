import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createConnection } from "mysql2/promise";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { startRedis, type PrivateRedis } from "../harness/redis.js";
import { clients, postDocumented, readyz } from "../support/api.js";
import { freshStore, stopSharedMariaDb } from "../support/node.js";
import { startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

const dir = mkdtempSync(join(tmpdir(), "easytask-redis-"));
let redis: PrivateRedis;
const worker = new FakeTaskServer();

before(async () => {
  redis = await startRedis();
  await worker.start();
});
after(async () => {
  await worker.stop();
  await redis.stop();
  await stopSharedMariaDb();
  rmSync(dir, { recursive: true, force: true });
});

// The Go original's shipped conf/conf.json, key by key, with only the DSN and
// the Redis node pointed at this test's private MariaDB and Redis.
async function goDefaultConf(name: string): Promise<{ path: string; dbUrl: string }> {
  const { store } = await freshStore("mysql");
  assert.equal(store.kind, "mysql");
  if (store.kind !== "mysql") throw new Error("unreachable");
  const conf = {
    cluster_name: "easy_task",
    task_worker_pool_size: 50,
    health_check_worker_pool_size: 100,
    elect_driver: "redis",
    mysql: { dsn: `${store.user}:${store.password}@tcp(${store.host}:${store.port})/${store.database}?charset=utf8mb4&parseTime=True&loc=Local` },
    etcd: { endpoints: ["127.0.0.1:2379"] },
    redis: { nodes: [{ host: redis.host, port: redis.port, password: "" }] },
    log: { log_dir: "/var/log/easytask/", level: "debug", file_size: 1073741824 },
    api_server: { http: { host: "0.0.0.0", port: 8801, pprof_port: 8802 } },
  };
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(conf, null, 2));
  return { path, dbUrl: store.url };
}

// Port 8801 may be taken on a test machine; the environment override keeps
// the file itself as the original ships it.
const FREE_PORT = { EASYTASK_API_SERVER__HTTP__PORT: "0" };
const leading = (node: NodeProcess) => node.lines().some((l) => l.msg === "leading: scheduling and health checks started");
// Every shard led by one of these nodes, as each of them sees it.
const shareShards = (nodes: NodeProcess[]) =>
  waitFor(
    "the shards shared by the nodes",
    () => Promise.all(nodes.map((n) => clients(n.port).cluster.getCluster({}))),
    (views) => views.every((v) => v.members.length === nodes.length && v.members.every((m) => m.shards.length > 0) && v.members.flatMap((m) => m.shards).length === v.shardCount),
    15_000,
  );
const runKey = (r: { body: Record<string, unknown> }) => `${r.body.task_id}:${r.body.run_times}`;

describe("elect_driver redis", () => {
  test("the Go original's default conf.json starts a node that adds a task and fires it", async () => {
    const { path } = await goDefaultConf("default");
    const node = await startNodeProcess(["-c", path], FREE_PORT);
    try {
      await waitFor("the node to lead", () => leading(node), Boolean);
      const server = await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port, is_enable_health_check: true });
      assert.equal(server.json.code, 0, server.json.msg);
      const added = await postDocumented(node.port, "/add_task", { name: "once", srv_name: "w", callback_path: "/default-conf", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
      assert.equal(added.json.code, 0, added.json.msg);
      const taskId = (added.json.data as { task_id: string }).task_id;
      const [call] = await waitFor("the callback", () => worker.tasks("/default-conf"), (c) => c.length > 0);
      assert.equal(call!.body.task_id, taskId);
    } finally {
      assert.equal((await node.stop()).code, 0);
    }
  });

  test("Redis down: every node stays ready and serves the API, none leads; back: they share the shards again", async () => {
    const { path } = await goDefaultConf("outage");
    const env = { ...FREE_PORT, EASYTASK_CLUSTER_NAME: "outage", EASYTASK_LOG__LEVEL: "info" };
    const nodes = [await startNodeProcess(["-c", path], env), await startNodeProcess(["-c", path], env)];
    const views = () => Promise.all(nodes.map((n) => readyz(n.port)));
    try {
      await shareShards(nodes);
      await redis.kill();
      // A node goes on until its leases could have expired (2.25 s).
      const down = await waitFor("every node to notice and none to lead", views, (rs) => rs.every((r) => !r.body.leadership_known && !r.body.leading));
      for (const [i, r] of down.entries()) {
        // A load balancer checking /readyz keeps both: they serve the API.
        assert.equal(r.status, 200, r.body.reason);
        assert.match(r.body.leadership_reason, /redis .* unreachable/);
        const server = await postDocumented(nodes[i]!.port, "/add_task_server", { name: `w${i}`, schema: "http", host: "127.0.0.1", port: worker.port });
        assert.equal(server.json.code, 0, server.json.msg);
        const view = await clients(nodes[i]!.port).cluster.getCluster({});
        assert.deepEqual([view.ready, view.isLeader, view.leadershipKnown], [true, false, false]);
      }
      await redis.restart();
      await waitFor("both leading again", views, (rs) => rs.every((r) => r.status === 200 && r.body.leadership_known && r.body.leading));
      await shareShards(nodes);
    } finally {
      for (const node of nodes) assert.equal((await node.stop()).code, 0);
    }
  });

  test("kill -9 of one of three nodes sharing the shards: the others take its shards and fire on, no run doubled or lost", async () => {
    const { path, dbUrl } = await goDefaultConf("failover");
    const env = { ...FREE_PORT, EASYTASK_CLUSTER_NAME: "failover", EASYTASK_LOG__LEVEL: "info" };
    const nodes = [await startNodeProcess(["-c", path], env), await startNodeProcess(["-c", path], env), await startNodeProcess(["-c", path], env)];
    let killedAt = 0;
    try {
      await shareShards(nodes);
      const victim = nodes[0]!;
      const assert200 = async (p: Promise<{ json: { code: number; msg: string } }>) => assert.equal((await p).json.code, 0);
      await assert200(postDocumented(nodes[0]!.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port }));
      const taskIds: string[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await postDocumented(nodes[i % 3]!.port, "/add_task", { name: `steady-${i}`, srv_name: "w", callback_path: "/steady", sched_mode: 3, time_interval_sec: 1 });
        assert.equal(res.json.code, 0, res.json.msg);
        taskIds.push((res.json.data as { task_id: string }).task_id);
      }
      const highest = (id: string) => Math.max(0, ...worker.tasks("/steady").filter((r) => r.body.task_id === id).map((r) => r.body.run_times as number));
      await waitFor("three runs of every task", () => taskIds.map(highest), (h) => h.every((n) => n >= 3));

      killedAt = Date.now();
      assert.equal((await victim.stop("SIGKILL")).code, null, "killed, not exited");
      const atKill = new Map(taskIds.map((id) => [id, highest(id)]));
      await shareShards(nodes.filter((n) => n !== victim));
      await waitFor("three more runs of every task", () => taskIds.map((id) => highest(id) - atKill.get(id)!), (d) => d.every((n) => n >= 3));
    } finally {
      for (const node of nodes) if (node.proc.exitCode === null && node.proc.signalCode === null) assert.equal((await node.stop()).code, 0);
    }

    const calls = worker.tasks("/steady").map(runKey);
    assert.equal(new Set(calls).size, calls.length, "no (task_id, run_times) called back twice");

    // Every claimed run is a task_log row, and run_times counts claims, so a
    // gap in the run_times the task server saw is a run that was claimed and
    // never called back. The only node that can leave a run like that is the
    // one killed while holding it: the survivors (which fire the runs of their
    // own shards too) were stopped with SIGTERM, which waits for their
    // callbacks. So: every run the task server did not
    // see is still RUNNING in task_log and was claimed before the kill; every
    // RUNNING run was claimed before the kill (the dead node may also have
    // called it back and died before recording the answer); every other run
    // succeeded and was seen.
    const conn = await createConnection(dbUrl);
    const [rows] = await conn.query("SELECT task_id, run_times, state, started_at FROM task_log");
    await conn.end();
    const runs = rows as { task_id: number; run_times: number; state: number; started_at: number }[];
    const seen = new Set(calls);
    for (const run of runs) {
      const key = `${run.task_id}:${run.run_times}`;
      if (run.state === RunState.RUNNING) assert.ok(Number(run.started_at) <= killedAt, `${key} is RUNNING but was claimed after the node died`);
      else assert.ok(run.state === RunState.SUCCEEDED && seen.has(key), `${key} is in state ${run.state}; seen: ${seen.has(key)}`);
    }
    const logged = new Set(runs.map((r) => `${r.task_id}:${r.run_times}`));
    for (const key of seen) assert.ok(logged.has(key), `${key} was called back but not recorded`);
    const perTask = new Map<number, number[]>();
    for (const r of runs) perTask.set(r.task_id, [...(perTask.get(r.task_id) ?? []), r.run_times]);
    for (const [taskId, numbers] of perTask) {
      numbers.sort((a, b) => a - b);
      assert.deepEqual(numbers, numbers.map((_, i) => i + 1), `task ${taskId}: run_times 1..n, each claimed once`);
    }
    assert.equal(perTask.size, 20);
  });
});
