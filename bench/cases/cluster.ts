import { sql } from "kysely";
import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { startEtcdCluster } from "../../test/harness/etcd.js";
import { clients } from "../../test/support/api.js";
import { startNodeProcess, type NodeProcess } from "../../test/support/processNode.js";
import { waitFor } from "../../test/support/waitFor.js";
import type { Store } from "../../src/store/openStore.js";
import { cpuMs, insertTasks, lateness, pct, progress, sleep, stopAll, type Measures, type TaskServer } from "../support.js";

const RATE = 1000;
const IDLE_MS = 5000;
const WINDOW_MS = 10_000;

// The database's own counters: statements and commits since it started.
async function dbCounters(store: Store): Promise<{ questions: number; commits: number }> {
  const { rows } = await sql<{ Variable_name: string; Value: string }>`SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_commit')`.execute(store.kysely);
  const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? NaN);
  return { questions: value("Questions"), commits: value("Com_commit") };
}

const cpuOf = (nodes: NodeProcess[]) => nodes.map((n) => cpuMs(n.proc.pid!));
const perSecond = (ms: number, windowMs: number) => Math.round((ms * 1000) / windowMs);

// cluster: the same load (RATE interval tasks every second) on 1 node, then
// on 3 nodes sharing the 64 shards over a 3-member etcd and one MariaDB.
// Per round: runs per second, lateness p99, each node's CPU (ms per second,
// idle and under load), and the database's statements and commits per run
// and, idle, per node. On one machine the nodes share its cores, so this
// shows how the work splits and what the split costs, not a speed-up.
export async function cluster(dbUrl: string, store: Store, taskServer: TaskServer): Promise<Measures> {
  const etcd = await startEtcdCluster(3);
  const results: Measures = {};
  try {
    for (const size of [1, 3]) {
      progress(`cluster: ${size} node(s), ${RATE} interval tasks every second`);
      const env = {
        EASYTASK_API_SERVER__HTTP__PORT: "0",
        EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
        EASYTASK_MYSQL__DSN: dbUrl,
        EASYTASK_ELECT_DRIVER: "etcd",
        EASYTASK_ETCD__ENDPOINTS: etcd.endpoints.join(","),
        EASYTASK_CLUSTER_NAME: `bench${size}`,
        EASYTASK_TASK_WORKER_POOL_SIZE: "200",
      };
      const nodes = await Promise.all(Array.from({ length: size }, () => startNodeProcess([], env)));
      try {
        await waitFor(
          "the shards shared",
          () => Promise.all(nodes.map((n) => clients(n.port).cluster.getCluster({}))),
          (views) => views.every((v) => v.members.length === size && v.shards.length > 0),
          30_000,
        );
        progress(`cluster: ${size} node(s) share the shards; idle for ${IDLE_MS} ms`);
        const idleCpu = cpuOf(nodes);
        const idleDb = await dbCounters(store);
        await sleep(IDLE_MS);
        const idleDbAfter = await dbCounters(store);
        const idle = cpuOf(nodes).map((c, i) => perSecond(c - idleCpu[i]!, IDLE_MS));

        const start = Date.now() + 1000;
        await insertTasks(store, `cluster${size}`, RATE, { mode: SchedMode.INTERVAL, intervalSec: 1 }, (i) => start + Math.floor((i / RATE) * 1000));
        await sleep(4000);
        const from = Date.now();
        const cpuFrom = cpuOf(nodes);
        const dbFrom = await dbCounters(store);
        await sleep(WINDOW_MS);
        const to = Date.now();
        const busy = cpuOf(nodes).map((c, i) => perSecond(c - cpuFrom[i]!, to - from));
        const dbTo = await dbCounters(store);
        let arrived = 0;
        for (const at of taskServer.arrivals.values()) if (at >= from && at < to) arrived++;
        await sleep(1500);
        const late = await lateness(store, taskServer.arrivals, from, to - 1000);
        await stopAll(store);
        await sleep(1500);
        const runs = Math.max(1, arrived);
        // The runner's own SHOW STATUS statements are a handful against thousands.
        Object.assign(results, {
          [`cluster_${size}_runs_per_sec`]: Math.round(arrived / ((to - from) / 1000)),
          [`cluster_${size}_p99_ms`]: pct(late, 0.99),
          [`cluster_${size}_cpu_ms_per_sec_by_node`]: busy.join(" / "),
          [`cluster_${size}_cpu_ms_per_run`]: Math.round((busy.reduce((a, b) => a + b, 0) * ((to - from) / 1000) * 1000) / runs) / 1000,
          [`cluster_${size}_idle_cpu_ms_per_sec_by_node`]: idle.join(" / "),
          [`cluster_${size}_db_statements_per_run`]: Math.round(((dbTo.questions - dbFrom.questions) / runs) * 100) / 100,
          [`cluster_${size}_db_commits_per_run`]: Math.round(((dbTo.commits - dbFrom.commits) / runs) * 1000) / 1000,
          [`cluster_${size}_idle_db_statements_per_sec_per_node`]: Math.round((idleDbAfter.questions - idleDb.questions) / (IDLE_MS / 1000) / size),
        });
      } finally {
        for (const n of nodes) await n.stop();
      }
    }
  } finally {
    await etcd.stop();
  }
  return results;
}
