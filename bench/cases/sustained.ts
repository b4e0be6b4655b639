import { sql } from "kysely";
import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { readFileSync } from "node:fs";
import { cpuMs, insertTasks, lateness, pct, progress, sleep, stopAll, type BenchContext, type Measures } from "../support.js";

// MariaDB's count of statements run so far, by kind (SQLite: none).
async function statements(ctx: BenchContext): Promise<Record<string, number>> {
  if (ctx.dialect !== "mysql") return {};
  const { rows } = await sql<{ Variable_name: string; Value: string }>`show global status where Variable_name in ('Com_select', 'Com_insert', 'Com_update', 'Com_delete', 'Com_begin', 'Com_commit', 'Com_rollback')`.execute(ctx.store.kysely);
  return Object.fromEntries(rows.map((r) => [r.Variable_name.slice(4), Number(r.Value)]));
}

// "2.1 (select 0.4, update 0.5 …)": statements per run, by kind.
function perRun(to: Record<string, number>, from: Record<string, number>, runs: number): string {
  const per = (k: string) => (to[k] - from[k]) / Math.max(1, runs);
  const total = Object.keys(to).reduce((sum, k) => sum + per(k), 0);
  return `${total.toFixed(2)} (${Object.keys(to).filter((k) => per(k) >= 0.005).map((k) => `${k} ${per(k).toFixed(2)}`).join(", ")})`;
}

// MariaDB's process (SQLite runs inside the node): with the node and the
// task server it shares the machine's cores, so the three CPU costs per run
// together bound the rate.
async function databasePid(ctx: BenchContext): Promise<number | undefined> {
  if (ctx.dialect !== "mysql") return undefined;
  const { rows } = await sql<{ file: string }>`select @@pid_file as file`.execute(ctx.store.kysely);
  return Number(readFileSync(rows[0]!.file, "utf8").trim());
}

// CPU of this process (the task server, and the bench's few reads), ms.
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

// The node's gauges: callback answers not yet written to the database, and
// callbacks in flight.
async function gauges(port: number): Promise<{ queued: number; inFlight: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)`, "m").exec(text)?.[1] ?? NaN);
  return { queued: gauge("easytask_run_results_queued"), inFlight: gauge("easytask_callbacks_in_flight") };
}

const perRunMs = (ms: number, runs: number) => Math.round((ms / Math.max(1, runs)) * 1000) / 1000;

// sustained: `count` interval tasks every second, due spread over the
// second: runs per second reached over 10 s, their lateness, the CPU the
// node spent per run, and the most answers ever waiting to be written
// (a backlog that grows means results fall behind the runs).
export async function sustained(ctx: BenchContext, count: number): Promise<Measures> {
  progress(`${ctx.dialect}: ${count} interval tasks every second`);
  const start = Date.now() + 1000;
  await insertTasks(ctx.store, `sustained${count}`, count, { mode: SchedMode.INTERVAL, intervalSec: 1 }, (i) => start + Math.floor((i / count) * 1000));
  await sleep(4000);
  const from = Date.now();
  const dbPid = await databasePid(ctx);
  const cpuFrom = cpuMs(ctx.node.proc.pid!);
  const dbCpuFrom = dbPid === undefined ? 0 : cpuMs(dbPid);
  const ownCpuFrom = ownCpuMs();
  const statementsFrom = await statements(ctx);
  let queuedMax = 0;
  const inFlight: number[] = [];
  while (Date.now() < from + 10_000) {
    const g = await gauges(ctx.node.port);
    queuedMax = Math.max(queuedMax, g.queued);
    inFlight.push(g.inFlight);
    await sleep(250);
  }
  const to = Date.now();
  const cpu = cpuMs(ctx.node.proc.pid!) - cpuFrom;
  const dbCpu = dbPid === undefined ? 0 : cpuMs(dbPid) - dbCpuFrom;
  const taskServerCpu = ownCpuMs() - ownCpuFrom;
  const statementsTo = await statements(ctx);
  let arrived = 0;
  for (const at of ctx.taskServer.arrivals.values()) if (at >= from && at < to) arrived++;
  await sleep(1500);
  const late = await lateness(ctx.store, ctx.taskServer.arrivals, from, to - 1000);
  await stopAll(ctx.store);
  await sleep(1500);
  return {
    [`sustained_${count}_runs_per_sec`]: Math.round(arrived / ((to - from) / 1000)),
    [`sustained_${count}_p99_ms`]: pct(late, 0.99),
    [`sustained_${count}_cpu_ms_per_run`]: perRunMs(cpu, arrived),
    [`sustained_${count}_task_server_cpu_ms_per_run`]: perRunMs(taskServerCpu, arrived),
    ...(dbPid !== undefined && { [`sustained_${count}_db_cpu_ms_per_run`]: perRunMs(dbCpu, arrived) }),
    [`sustained_${count}_results_queued_max`]: queuedMax,
    // Callbacks in flight, sampled: near the pool's share for one task
    // server (80%) means the task server is what runs hold on to.
    [`sustained_${count}_in_flight_avg`]: Math.round(inFlight.reduce((a, b) => a + b, 0) / Math.max(1, inFlight.length)),
    // Round trips to the database per run (MariaDB; the bench's own few
    // statements included), and what they were.
    ...(ctx.dialect === "mysql" && {
      [`sustained_${count}_statements_per_run`]: perRun(statementsTo, statementsFrom, arrived),
    }),
  };
}
