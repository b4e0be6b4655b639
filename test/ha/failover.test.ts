import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnection } from "mysql2/promise";
import { startEtcdCluster, type PrivateEtcdCluster } from "../harness/etcd.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { clients, postDocumented, readyz } from "../support/api.js";
import { sample, scrape } from "../support/metrics.js";
import { loggedAt, runEasytask, startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";
import { callbacksOf, doubles, gaps, missingRuns, type Callback } from "./runs.js";

// etcd.lease_ttl_sec's default, which the nodes run with.
const TTL_MS = 3000;
const INTERVAL_MS = 1000;
const TASKS = 50;
const SHARDS = 64;
// A pause no task takes outside an outage (kill -9 and SIGTERM of nodes are
// in shards.test.ts): two intervals, with slack for a loaded machine.
const STEADY_BOUND_MS = 2 * INTERVAL_MS + 1500;
// After etcd or MySQL comes back: joining again backs off up to 5 s, then
// the shards are taken; the database pool reconnects on the next query.
const RECOVERY_BOUND_MS = 5000 + TTL_MS + 2000;
const PATH = "/ha";
const NOT_LEADING = "not leading: scheduling and health checks stopped";

const measured: Record<string, number> = {};
// Windows in which nothing can be scheduled (etcd or MySQL down), and the
// moments a process holding claimed runs could not record them.
const outages: { from: number; to: number }[] = [];
const crashes: number[] = [];

const firstCallback = (what: string, callbacks: () => Callback[], from: number) =>
  waitFor(what, () => callbacks().find((c) => c.at >= from), (c) => c !== undefined, RECOVERY_BOUND_MS + 5000) as Promise<Callback>;

describe("three easytask nodes on a 3-member etcd and MariaDB, 50 tasks every second", () => {
  let etcd: PrivateEtcdCluster;
  let mariadb: PrivateMariaDb;
  const worker = new FakeTaskServer();
  const dir = mkdtempSync(join(tmpdir(), "easytask-ha-"));
  const conf = join(dir, "etcd.json");
  const standaloneConf = join(dir, "standalone.json");
  // Every node of the cluster ever started, alive or not.
  const nodes: NodeProcess[] = [];
  const alive = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  const callbacks = () => callbacksOf(worker.tasks(PATH));
  const startNode = async () => {
    const node = await startNodeProcess(["-c", conf]);
    nodes.push(node);
    return node;
  };

  // Every shard led by one live node, each of which leads some.
  const shared = () =>
    waitFor(
      "the shards shared by the live nodes",
      () => Promise.all(alive().map((node) => clients(node.port).cluster.getCluster({}).catch(() => undefined))),
      (views) =>
        views.every((v) => v?.isLeader) &&
        views.every((v) => v!.members.length === alive().length && v!.members.flatMap((m) => m.shards).length === SHARDS),
      RECOVERY_BOUND_MS + 5000,
    );

  before(async () => {
    [etcd, mariadb] = await Promise.all([startEtcdCluster(3), startMariaDb({ database: "easytask_ha" }), worker.start()]);
    const api = { api_server: { http: { host: "127.0.0.1", port: 0 } } };
    writeFileSync(conf, JSON.stringify({ cluster_name: "ha", elect_driver: "etcd", etcd: { endpoints: etcd.endpoints }, mysql: { dsn: mariadb.url }, ...api }));
    writeFileSync(standaloneConf, JSON.stringify({ mysql: { dsn: mariadb.url }, ...api }));
    // The first node creates the tables; the others find them.
    await startNode();
    await Promise.all([startNode(), startNode()]);
    const added = await postDocumented(nodes[0]!.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
    assert.equal(added.json.code, 0, added.json.msg);
    for (let i = 0; i < TASKS; i++) {
      const body = { name: `t${i}`, srv_name: "w", callback_path: PATH, sched_mode: 3, time_interval_sec: INTERVAL_MS / 1000 };
      const res = await postDocumented(nodes[i % 3]!.port, "/add_task", body);
      assert.equal(res.json.code, 0, res.json.msg);
    }
    await waitFor("two runs of every task", callbacks, (c) => c.filter((x) => x.runTimes === 2).length === TASKS);
  });

  after(async () => {
    for (const node of alive()) await node.stop("SIGKILL");
    await worker.stop();
    await etcd?.stop();
    await mariadb?.stop();
    rmSync(dir, { recursive: true, force: true });
    console.log("HA measurements (ms):", JSON.stringify(measured, null, 2));
  });

  test("the nodes share the shards; every node is ready and sees the same members and shards", async () => {
    const views = await shared();
    assert.equal(new Set(views.map((v) => v!.nodeId)).size, 3, "node ids are unique per process on one host");
    const byId = (v: (typeof views)[number]) => JSON.stringify(v!.members.map((m) => [m.nodeId, m.shards]).sort());
    for (const v of views) {
      assert.equal(v!.ready, true, v!.notReadyReason);
      assert.equal(byId(v), byId(views[0]), "every node sees the same members leading the same shards");
      assert.deepEqual(v!.members.find((m) => m.nodeId === v!.nodeId)?.shards, v!.shards, "a node's own shards are the ones the others see");
      assert.equal(v!.leaderId, v!.members.find((m) => m.shards.includes(0))?.nodeId, "leader_id is shard 0's leader");
      assert.equal(v!.shardCount, SHARDS);
      assert.equal(v!.electDriver, "etcd");
      assert.equal(v!.clusterName, "ha");
      assert.deepEqual(v!.members.map((m) => m.address).sort(), alive().map((n) => `127.0.0.1:${n.port}`).sort());
    }
    for (const node of alive()) assert.equal((await readyz(node.port)).status, 200);
    const gauges = await Promise.all(alive().map(async (n) => sample(await scrape(n.port), "easytask_leader")));
    assert.deepEqual(gauges, [1, 1, 1], "easytask_leader is 1 on every node that leads shards");
  });

  test("a node configured with another shard count is refused with a clear error", async () => {
    const odd = join(dir, "odd.json");
    writeFileSync(odd, JSON.stringify({ ...JSON.parse(readFileSync(conf, "utf8")), shards: 32 }));
    const { code, stderr } = await runEasytask(["-c", odd]);
    assert.equal(code, 1);
    assert.match(stderr, /shards is 32 but this cluster's database records 64/);
  });

  test("a standalone node on the same database leads as well, and no run is called back twice", async () => {
    const intruder = await startNodeProcess(["-c", standaloneConf]);
    const from = Date.now();
    try {
      assert.equal((await clients(intruder.port).cluster.getCluster({})).shards.length, SHARDS, "standalone leads every shard");
      await shared();
      await sleep(3 * INTERVAL_MS);
    } finally {
      assert.equal((await intruder.stop()).code, 0);
    }
    const runs = new Set(callbacks().filter((c) => c.at >= from).map((c) => c.runTimes));
    assert.ok(runs.size >= 3, `scheduling went on: runs ${[...runs]}`);
    assert.deepEqual(doubles(callbacks()), []);
  });

  test("etcd down: every node stops leading within the TTL, stays ready and serves the API, and scheduling resumes", async () => {
    await shared();
    const leading = alive();
    const from = Date.now();
    await Promise.all(etcd.members.map((m) => m.kill()));
    const late = await startNode();
    await sleep(TTL_MS + 500);
    for (const node of leading) {
      const stoppedAt = loggedAt(node, NOT_LEADING).find((t) => t >= from);
      assert.ok(stoppedAt !== undefined, "a node still leads shards without etcd");
      measured["etcd down: to a node stopping"] = Math.max(measured["etcd down: to a node stopping"] ?? 0, stoppedAt - from);
      // Its lease was renewed at most TTL/3 before etcd went away, so it
      // could expire TTL - 1 s after that at the earliest.
      assert.ok(stoppedAt - from < TTL_MS, `stopped leading ${stoppedAt - from} ms after etcd went away`);
    }
    // A load balancer checking /readyz keeps every node: they serve the API.
    for (const node of alive()) {
      const r = await readyz(node.port);
      assert.equal(r.status, 200, r.body.reason);
      assert.equal(r.body.leading, false);
      assert.equal(r.body.leadership_known, false);
      assert.match(r.body.leadership_reason, /etcd/);
      const view = await clients(node.port).cluster.getCluster({});
      assert.deepEqual([view.ready, view.isLeader, view.leadershipKnown], [true, false, false]);
      assert.match(view.leadershipUnknownReason, /etcd/);
      assert.equal((await clients(node.port).registry.listTaskServers({})).taskServers.length, 1, "the API works without etcd");
    }
    assert.ok(loggedAt(late, "etcd session lost; leading no shard, joining again").length > 0);

    const restartAt = Date.now();
    assert.deepEqual(callbacks().filter((c) => c.at > from + TTL_MS && c.at < restartAt), [], "nothing fires while no node can lead");
    await Promise.all(etcd.members.map((m) => m.restart()));
    const back = Date.now();
    outages.push({ from, to: back });
    const first = await firstCallback("a callback once etcd is back", callbacks, back);
    measured["etcd back: to first callback"] = first.at - back;
    await waitFor("every node knowing its shards again", () => Promise.all(alive().map((n) => readyz(n.port))), (rs) => rs.every((r) => r.status === 200 && r.body.leadership_known), RECOVERY_BOUND_MS + 5000);
    await shared();
  });

  test("MySQL down: the API answers unavailable, no node is ready, and scheduling resumes by itself", { skip: process.env.EASYTASK_TEST_MYSQL_URL ? "needs a private MariaDB" : false }, async () => {
    const node = alive()[0]!;
    const from = Date.now();
    crashes.push(from);
    await mariadb.kill();
    const added = await postDocumented(node.port, "/add_task", { name: "late", srv_name: "w", callback_path: PATH, sched_mode: 3, time_interval_sec: 1 });
    assert.equal(added.json.code, 10004, added.json.msg);
    await assert.rejects(clients(node.port).tasks.getTask({ taskId: 1n }), (err) => ConnectError.from(err).code === Code.Unavailable);
    for (const n of alive()) {
      const r = await readyz(n.port);
      assert.equal(r.status, 503);
      assert.match(r.body.reason, /database unavailable/);
    }
    await sleep(2000);
    await mariadb.restart();
    const back = Date.now();
    outages.push({ from, to: back });
    const first = await firstCallback("a callback once MySQL is back", callbacks, back);
    measured["MySQL back: to first callback"] = first.at - back;
    await waitFor("every node ready again", () => Promise.all(alive().map((n) => readyz(n.port))), (rs) => rs.every((r) => r.status === 200), RECOVERY_BOUND_MS);
  });

  test("over the whole run: no run called back twice, none lost, every pause bounded", async () => {
    // Stopped first so that no run is still in flight.
    for (const node of alive()) assert.equal((await node.stop("SIGTERM")).code, 0);
    const all = callbacks();
    assert.deepEqual(doubles(all), []);

    const boundOf = (from: number, to: number) => {
      const outage = outages.find((o) => from <= o.to && to >= o.from);
      return outage ? outage.to - from + RECOVERY_BOUND_MS : STEADY_BOUND_MS;
    };
    const pauses = gaps(all);
    assert.deepEqual(pauses.filter((g) => g.to - g.from > boundOf(g.from, g.to)), []);
    measured["longest pause of a task outside outages"] = Math.max(...pauses.filter((g) => !outages.some((o) => g.from <= o.to && g.to >= o.from)).map((g) => g.to - g.from));

    // A run is only missing if a crash took it: claimed (recorded in
    // task_log) by a process that died before calling back.
    const conn = await createConnection(mariadb.url);
    try {
      const [tasks] = await conn.query("SELECT id, run_times FROM task WHERE callback_path = ?", [PATH]);
      let lost = 0;
      for (const { id, run_times } of tasks as { id: number; run_times: number }[]) {
        for (const run of missingRuns(all, String(id), run_times)) {
          lost++;
          const [rows] = await conn.query("SELECT started_at FROM task_log WHERE task_id = ? AND run_times = ?", [id, run]);
          const startedAt = Number((rows as { started_at: number }[])[0]?.started_at);
          assert.ok(crashes.some((c) => startedAt <= c && startedAt > c - 2000), `run ${id}:${run} was lost (claimed at ${startedAt}, crashes at ${crashes})`);
        }
      }
      measured["runs claimed by a crashed process, never called back"] = lost;
    } finally {
      await conn.end();
    }
  });
});
