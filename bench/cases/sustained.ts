import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { cpuMs, insertTasks, lateness, pct, progress, sleep, stopAll, type BenchContext, type Measures } from "../support.js";

// The node's gauge of callback answers not yet written to the database.
async function resultsQueued(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^easytask_run_results_queued (\d+)/m.exec(text)?.[1] ?? NaN);
}

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
  const cpuFrom = cpuMs(ctx.node.proc.pid!);
  let queuedMax = 0;
  while (Date.now() < from + 10_000) {
    queuedMax = Math.max(queuedMax, await resultsQueued(ctx.node.port));
    await sleep(250);
  }
  const to = Date.now();
  const cpu = cpuMs(ctx.node.proc.pid!) - cpuFrom;
  let arrived = 0;
  for (const at of ctx.taskServer.arrivals.values()) if (at >= from && at < to) arrived++;
  await sleep(1500);
  const late = await lateness(ctx.store, ctx.taskServer.arrivals, from, to - 1000);
  await stopAll(ctx.store);
  await sleep(1500);
  return {
    [`sustained_${count}_runs_per_sec`]: Math.round(arrived / ((to - from) / 1000)),
    [`sustained_${count}_p99_ms`]: pct(late, 0.99),
    [`sustained_${count}_cpu_ms_per_run`]: Math.round((cpu / Math.max(1, arrived)) * 1000) / 1000,
    [`sustained_${count}_results_queued_max`]: queuedMax,
  };
}
