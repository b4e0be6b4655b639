import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnection } from "mysql2/promise";
import { startEtcd, type PrivateEtcd } from "../harness/etcd.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { clients, postDocumented, readyz } from "../support/api.js";
import { sample, scrape } from "../support/metrics.js";
import { loggedAt, startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";
import { callbacksOf, doubles, gaps, missingRuns, type Callback } from "./runs.js";

// etcd.lease_ttl_sec's default, which the nodes run with.
const TTL_MS = 3000;
const INTERVAL_MS = 1000;
const TASKS = 50;
// The issue asks that a new leader fires within TTL + 1 s of a kill -9.
// Measured from the last callback before the kill (up to one interval
// earlier), with slack for a loaded machine.
const FAILOVER_BOUND_MS = TTL_MS + 1000 + INTERVAL_MS + 500;
// After etcd or MySQL comes back: campaign retries back off up to 5 s, then
// an election; the database pool reconnects on the next query.
const RECOVERY_BOUND_MS = 5000 + TTL_MS + 2000;
const PATH = "/ha";
const LEADING = "leading: scheduling and health checks started";
const NOT_LEADING = "not leading: scheduling and health checks stopped";

const measured: Record<string, number> = {};
// Windows in which nothing can be scheduled (etcd or MySQL down), and the
// moments a process holding claimed runs died.
const outages: { from: number; to: number }[] = [];
const crashes: number[] = [];

const firstCallback = (what: string, callbacks: () => Callback[], from: number) =>
  waitFor(what, () => callbacks().find((c) => c.at >= from), (c) => c !== undefined, RECOVERY_BOUND_MS + 5000) as Promise<Callback>;

describe("three easytask nodes on etcd and MariaDB, 50 tasks every second", () => {
  let etcd: PrivateEtcd;
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

  async function leader(): Promise<NodeProcess> {
    const views = await waitFor(
      "exactly one leader",
      () => Promise.all(alive().map(async (node) => ({ node, view: await clients(node.port).cluster.getCluster({}).catch(() => undefined) }))),
      (v) => v.filter((x) => x.view?.isLeader).length === 1,
    );
    return views.find((x) => x.view?.isLeader)!.node;
  }

  before(async () => {
    [etcd, mariadb] = await Promise.all([startEtcd(), startMariaDb({ database: "easytask_ha" }), worker.start()]);
    const api = { api_server: { http: { host: "127.0.0.1", port: 0 } } };
    writeFileSync(conf, JSON.stringify({ cluster_name: "ha", elect_driver: "etcd", etcd: { endpoints: [etcd.endpoint] }, mysql: { dsn: mariadb.url }, ...api }));
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

  test("one node leads; every node is ready and sees the same leader and members", async () => {
    await leader();
    const views = await Promise.all(alive().map((n) => clients(n.port).cluster.getCluster({})));
    assert.equal(new Set(views.map((v) => v.nodeId)).size, 3, "node ids are unique per process on one host");
    const leaderId = views.find((v) => v.isLeader)!.nodeId;
    for (const v of views) {
      assert.equal(v.ready, true, v.notReadyReason);
      assert.equal(v.leaderId, leaderId);
      assert.equal(v.electDriver, "etcd");
      assert.equal(v.clusterName, "ha");
      assert.deepEqual(v.members.map((m) => m.nodeId).sort(), views.map((x) => x.nodeId).sort());
      assert.deepEqual(v.members.map((m) => m.address).sort(), alive().map((n) => `127.0.0.1:${n.port}`).sort());
    }
    for (const node of alive()) assert.equal((await readyz(node.port)).status, 200);
    const gauges = await Promise.all(alive().map(async (n) => sample(await scrape(n.port), "easytask_leader")));
    const leading = await Promise.all(alive().map(async (n) => (await clients(n.port).cluster.getCluster({})).isLeader));
    assert.deepEqual(gauges, leading.map((l) => (l ? 1 : 0)), "easytask_leader is 1 on the leader, 0 on the followers");
    assert.equal(gauges.filter((g) => g === 1).length, 1);
  });

  test("a standalone node on the same database leads as well, and no run is called back twice", async () => {
    const intruder = await startNodeProcess(["-c", standaloneConf]);
    const from = Date.now();
    try {
      assert.equal((await clients(intruder.port).cluster.getCluster({})).isLeader, true);
      assert.equal((await clients((await leader()).port).cluster.getCluster({})).isLeader, true);
      await sleep(3 * INTERVAL_MS);
    } finally {
      assert.equal((await intruder.stop()).code, 0);
    }
    const runs = new Set(callbacks().filter((c) => c.at >= from).map((c) => c.runTimes));
    assert.ok(runs.size >= 3, `scheduling went on: runs ${[...runs]}`);
    assert.deepEqual(doubles(callbacks()), []);
  });

  test("kill -9 of the leader: another node fires within TTL + 1 s", async () => {
    const old = await leader();
    const killedAt = Date.now();
    crashes.push(killedAt);
    await old.stop("SIGKILL");
    const next = await leader();
    const leadingSince = loggedAt(next, LEADING).at(-1)!;
    const first = await firstCallback("a callback fired by the new leader", callbacks, leadingSince);
    const last = callbacks().filter((c) => c.at <= killedAt).at(-1)!;
    measured["kill -9: kill to new leader scheduling"] = leadingSince - killedAt;
    measured["kill -9: kill to its first callback"] = first.at - killedAt;
    measured["kill -9: last callback before to first callback after"] = first.at - last.at;
    assert.ok(first.at - last.at <= FAILOVER_BOUND_MS, `failover gap ${first.at - last.at} ms > ${FAILOVER_BOUND_MS} ms`);
    await startNode();
  });

  test("SIGTERM of the leader: it exits 0 and another node leads within 1 s", async () => {
    const old = await leader();
    assert.equal((await old.stop("SIGTERM")).code, 0);
    const next = await leader();
    const shutdownAt = loggedAt(old, "shutting down")[0]!;
    const electedAt = loggedAt(next, "elected leader").at(-1)!;
    const first = await firstCallback("a callback fired by the new leader", callbacks, electedAt);
    measured["SIGTERM: shutting down to elected"] = electedAt - shutdownAt;
    measured["SIGTERM: shutting down to first callback"] = first.at - shutdownAt;
    assert.ok(electedAt >= shutdownAt && electedAt - shutdownAt <= 1000, `handover took ${electedAt - shutdownAt} ms`);
  });

  test("etcd down: the leader stops within the TTL, every node stays ready and serves the API, and scheduling resumes", async () => {
    const old = await leader();
    const from = Date.now();
    await etcd.kill();
    const late = await startNode();
    await sleep(TTL_MS + 500);
    const stoppedAt = loggedAt(old, NOT_LEADING).find((t) => t >= from);
    assert.ok(stoppedAt !== undefined, "the leader still leads without etcd");
    measured["etcd down: to leader stopping"] = stoppedAt - from;
    // Its lease was renewed at most TTL/3 before etcd went away, so it
    // could expire TTL - 1 s after that at the earliest.
    assert.ok(stoppedAt - from < TTL_MS, `stopped leading ${stoppedAt - from} ms after etcd went away`);
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
    assert.ok(loggedAt(late, "etcd campaign lost; not leading, campaigning again").length > 0);

    const restartAt = Date.now();
    assert.deepEqual(callbacks().filter((c) => c.at > from + TTL_MS && c.at < restartAt), [], "nothing fires while no node can lead");
    await etcd.restart();
    const back = Date.now();
    outages.push({ from, to: back });
    const first = await firstCallback("a callback once etcd is back", callbacks, back);
    measured["etcd back: to first callback"] = first.at - back;
    await waitFor("every node knowing the leader again", () => Promise.all(alive().map((n) => readyz(n.port))), (rs) => rs.every((r) => r.status === 200 && r.body.leadership_known), RECOVERY_BOUND_MS + 5000);
    await leader();
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
      return outage ? outage.to - from + RECOVERY_BOUND_MS : FAILOVER_BOUND_MS;
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
