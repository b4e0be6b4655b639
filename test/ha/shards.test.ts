import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createConnection } from "mysql2/promise";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { startEtcdCluster, type PrivateEtcdCluster } from "../harness/etcd.js";
import { startGalera, type PrivateGalera } from "../harness/galera.js";
import { clients, postDocumented } from "../support/api.js";
import { sample, scrape } from "../support/metrics.js";
import { loggedAt, startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";
import { callbacksOf, doubles, longestPause, missingRuns } from "./runs.js";

const TASKS = 300;
const SHARDS = 64;
const PATH = "/shards";
// Time left for every task to fire a few times between two events.
const SETTLE_MS = 4000;
const SHARDS_LED = "shards led";

const pauses: Record<string, number> = {};

// A Galera member applies other members' writes a moment after they commit:
// reads wait for them, so the checks see every run.
async function readConsistently(url: string) {
  const conn = await createConnection(url);
  await conn.query("SET SESSION wsrep_sync_wait = 1");
  return conn;
}
const measured: Record<string, number | string> = {};

// 3 easytask nodes (then a 4th) on a 3-member etcd and a 3-node Galera
// cluster, 300 tasks every second: the nodes share the shards, and losing a
// node, an etcd member or a Galera member loses and doubles no run.
describe("nodes sharing 64 shards on 3 etcd members and 3 Galera nodes, 300 tasks every second", () => {
  let etcd: PrivateEtcdCluster;
  let galera: PrivateGalera;
  const worker = new FakeTaskServer();
  const dir = mkdtempSync(join(tmpdir(), "easytask-shards-"));
  const nodes: NodeProcess[] = [];
  // Node ids of the processes killed with -9, and when.
  const crashed = new Map<string, number>();
  const idOf = new Map<NodeProcess, string>();
  const alive = () => nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  const callbacks = () => callbacksOf(worker.tasks(PATH));

  // Node i talks to Galera member i first, the others after, so the nodes
  // write through different members.
  const startNode = async () => {
    const i = nodes.length;
    const members = galera.members.map((_, k) => galera.members[(i + k) % galera.members.length]!);
    const hosts = members.map((m) => `127.0.0.1:${m.port}`).join(",");
    const conf = join(dir, `node${i}.json`);
    writeFileSync(
      conf,
      JSON.stringify({
        cluster_name: "shards",
        elect_driver: "etcd",
        etcd: { endpoints: etcd.endpoints },
        mysql: { dsn: `root@tcp(${hosts})/easytask_shards` },
        task_worker_pool_size: 200,
        api_server: { http: { host: "127.0.0.1", port: 0 } },
      }),
    );
    const node = await startNodeProcess(["-c", conf]);
    nodes.push(node);
    idOf.set(node, (await clients(node.port).cluster.getCluster({})).nodeId);
    return node;
  };

  // Every live node sees the same members, each shard led by exactly one of
  // them, and each of them leading some.
  const settledShards = () =>
    waitFor(
      "the shards shared by the live nodes",
      async () => Promise.all(alive().map((n) => clients(n.port).cluster.getCluster({}).catch(() => undefined))),
      (views) => {
        if (views.some((v) => v === undefined)) return false;
        const ids = alive().map((n) => idOf.get(n)!).sort();
        return views.every((v) => {
          const led = v!.members.flatMap((m) => m.shards).sort((a, b) => a - b);
          return (
            v!.members.map((m) => m.nodeId).sort().join() === ids.join() &&
            v!.members.every((m) => m.shards.length > 0) &&
            led.join() === Array.from({ length: SHARDS }, (_, k) => k).join() &&
            v!.shards.length > 0
          );
        });
      },
      20_000,
    ).then((views) => new Map(views[0]!.members.map((m) => [m.nodeId, m.shards])));

  before(async () => {
    [etcd, galera] = await Promise.all([startEtcdCluster(3), startGalera({ database: "easytask_shards" }), worker.start()]);
    // The first node creates the tables; the others find them.
    await startNode();
    await Promise.all([startNode(), startNode()]);
    const added = await postDocumented(nodes[0]!.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
    assert.equal(added.json.code, 0, added.json.msg);
    for (let i = 0; i < TASKS; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, async (_, k) => {
          const body = { name: `t${i + k}`, srv_name: "w", callback_path: PATH, sched_mode: 3, time_interval_sec: 1 };
          const res = await postDocumented(nodes[(i + k) % 3]!.port, "/add_task", body);
          assert.equal(res.json.code, 0, res.json.msg);
        }),
      );
    }
    await waitFor("two runs of every task", callbacks, (c) => c.filter((x) => x.runTimes === 2).length === TASKS, 30_000);
  });

  after(async () => {
    for (const node of alive()) await node.stop("SIGKILL");
    await worker.stop();
    await galera?.stop();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    console.log("longest pause of any task per event (ms):", JSON.stringify(pauses, null, 2));
    console.log("shard measurements:", JSON.stringify(measured, null, 2));
  });

  test("three nodes each lead about a third of the shards, and each fires 25 to 42% of the runs", async () => {
    const shards = await settledShards();
    measured["shards per node"] = [...shards.values()].map((s) => s.length).join(" / ");
    for (const node of alive()) {
      const text = await scrape(node.port);
      assert.equal(sample(text, "easytask_shards_led"), shards.get(idOf.get(node)!)!.length, "easytask_shards_led is the node's share");
    }
    const from = Date.now();
    await sleep(3000);
    const conn = await readConsistently(galera.members[0]!.url);
    try {
      const [rows] = await conn.query("SELECT node_id, COUNT(*) AS runs FROM task_log WHERE started_at >= ? GROUP BY node_id", [from]);
      const byNode = new Map((rows as { node_id: string; runs: number }[]).map((r) => [r.node_id, Number(r.runs)]));
      const total = [...byNode.values()].reduce((a, b) => a + b, 0);
      measured["share of runs per node (%)"] = [...byNode.values()].map((n) => Math.round((100 * n) / total)).join(" / ");
      assert.deepEqual([...byNode.keys()].sort(), alive().map((n) => idOf.get(n)!).sort(), "every node fired runs, and only they did");
      for (const [node, runs] of byNode) assert.ok(runs / total >= 0.25 && runs / total <= 0.42, `${node} fired ${runs} of ${total} runs`);
    } finally {
      await conn.end();
    }
    const logs = await clients(nodes[1]!.port).tasks.listTaskLogs({ pageSize: 50 });
    assert.ok(logs.taskLogs.length > 0 && logs.taskLogs.every((l) => [...idOf.values()].includes(l.nodeId)), "ListTaskLogs names the node of every run");
    assert.deepEqual(doubles(callbacks()), []);
  });

  test("kill -9 of a node: the others take its shards and fire them again", async () => {
    const victim = nodes[1]!;
    const at = Date.now();
    crashed.set(idOf.get(victim)!, at);
    await victim.stop("SIGKILL");
    const shards = await settledShards();
    measured["kill -9: to shards led again (ms)"] = Date.now() - at;
    assert.equal(shards.size, 2);
    await sleep(SETTLE_MS);
    pauses["kill -9 of a node"] = longestPause(callbacks(), at, at + SETTLE_MS);
  });

  test("a fourth node joins and takes its share; no run is doubled in the move", async () => {
    const at = Date.now();
    const joined = await startNode();
    const shards = await settledShards();
    measured["join: to its share led (ms)"] = Date.now() - at;
    measured["join: shards of the newcomer"] = shards.get(idOf.get(joined)!)!.length;
    await sleep(SETTLE_MS);
    pauses["a node joins"] = longestPause(callbacks(), at, at + SETTLE_MS);
    assert.deepEqual(doubles(callbacks()), []);
  });

  test("SIGTERM of a node: it exits 0 and its shards are led elsewhere at once", async () => {
    const leaving = nodes[2]!;
    const at = Date.now();
    assert.equal((await leaving.stop("SIGTERM")).code, 0);
    await settledShards();
    const shutdownAt = loggedAt(leaving, "shutting down")[0]!;
    const takenAt = Math.max(...alive().map((n) => loggedAt(n, SHARDS_LED).at(-1)!));
    measured["SIGTERM: shutting down to its shards led elsewhere (ms)"] = takenAt - shutdownAt;
    await sleep(SETTLE_MS);
    pauses["SIGTERM of a node"] = longestPause(callbacks(), at, at + SETTLE_MS);
  });

  test("one etcd member killed: no shard moves and scheduling goes on", async () => {
    const before = await settledShards();
    const linesBefore = alive().map((n) => loggedAt(n, SHARDS_LED).length);
    const at = Date.now();
    await etcd.members[0]!.kill();
    await sleep(SETTLE_MS);
    const after = await settledShards();
    assert.deepEqual([...after].sort(), [...before].sort(), "every shard has the leader it had");
    assert.deepEqual(alive().map((n) => loggedAt(n, SHARDS_LED).length), linesBefore, "no node took or gave up a shard");
    pauses["one etcd member killed"] = longestPause(callbacks(), at, at + SETTLE_MS);
    await etcd.members[0]!.restart();
  });

  test("one Galera member killed under load: scheduling goes on through the others", async () => {
    // The member the first node writes through.
    const at = Date.now();
    await galera.members[0]!.kill();
    await sleep(2 * SETTLE_MS);
    const first = callbacks().filter((c) => c.at > at + SETTLE_MS);
    assert.ok(first.length > 0, "runs fire with a Galera member down");
    pauses["one Galera member killed"] = longestPause(callbacks(), at, at + 2 * SETTLE_MS);
    await galera.members[0]!.restart();
  });

  test("KillRun answered by a node that is not calling the run back cuts the call at once", async () => {
    worker.answer("/hang", "hang");
    const [a] = alive();
    const res = await postDocumented(a!.port, "/add_task", { name: "hang", srv_name: "w", callback_path: "/hang", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
    assert.equal(res.json.code, 0, res.json.msg);
    const taskId = BigInt((res.json.data as { task_id: string }).task_id);
    const [call] = await waitFor("the callback in flight", () => worker.tasks("/hang"), (c) => c.length > 0);
    const [run] = (await clients(a!.port).tasks.listTaskLogs({ taskId })).taskLogs;
    const other = alive().find((n) => idOf.get(n) !== run!.nodeId)!;
    await clients(other.port).tasks.killRun({ taskId, runTimes: 1 });
    const answeredAt = Date.now();
    await waitFor("the call cut", () => call!.cutAt, (t) => t !== undefined, 5000);
    measured["KillRun on another node: answer to the callback cut (ms)"] = call!.cutAt! - answeredAt;
    const [killed] = (await clients(a!.port).tasks.listTaskLogs({ taskId })).taskLogs;
    assert.equal(killed!.state, RunState.KILLED);
  });

  test("over the whole run: no run called back twice, and none lost but those claimed by the killed node", async () => {
    for (const node of alive()) assert.equal((await node.stop("SIGTERM")).code, 0);
    const all = callbacks();
    assert.deepEqual(doubles(all), []);
    pauses["longest of the whole run"] = longestPause(all, 0, Date.now());
    const conn = await readConsistently(galera.members[1]!.url);
    try {
      const [tasks] = await conn.query("SELECT id, run_times FROM task WHERE callback_path = ?", [PATH]);
      let lost = 0;
      for (const { id, run_times } of tasks as { id: number; run_times: number }[]) {
        for (const run of missingRuns(all, String(id), run_times)) {
          const [rows] = await conn.query("SELECT node_id, started_at, state, error FROM task_log WHERE task_id = ? AND run_times = ?", [id, run]);
          const claim = (rows as { node_id: string; started_at: number; state: number; error: string }[])[0];
          assert.ok(claim && crashed.has(claim.node_id), `run ${id}:${run} was lost: ${JSON.stringify(claim)}; killed: ${[...crashed.keys()]}`);
          lost++;
        }
      }
      measured["runs claimed by the killed node, never called back"] = lost;
    } finally {
      await conn.end();
    }
  });
});
