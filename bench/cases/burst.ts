import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { insertTasks, lateness, load, pct, postJson, progress, sleep, type BenchContext, type Measures } from "../support.js";

// Waits until every run due at `dueAt` has reached the task server (or
// `giveUpMs` after the due time), then returns their lateness.
async function arrivalsOf(ctx: BenchContext, dueAt: number, count: number, giveUpMs: number): Promise<number[]> {
  for (;;) {
    const late = await lateness(ctx.store, ctx.taskServer.arrivals, dueAt, dueAt + 1);
    if (late.length >= count || Date.now() > dueAt + giveUpMs) return late;
    await sleep(250);
  }
}

const nextWholeSecondAfter = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000;

// burst_1000: 1,000 one-shot tasks due at the same second, added a few
// seconds ahead through /add_task as a user would, with the default
// callback pool; three bursts in a row.
export async function burst1000(ctx: BenchContext): Promise<Measures> {
  const all: number[] = [];
  let worstMax = 0;
  for (let round = 0; round < 3; round++) {
    progress(`${ctx.dialect}: burst of 1,000 (${round + 1}/3)`);
    const dueAt = nextWholeSecondAfter(4000);
    await load(1000, (i) => postJson(ctx.agent, ctx.node.port, "/add_task", { name: `burst-${round}-${i}`, srv_name: "bench", sched_mode: 2, time_spec_at: dueAt / 1000 }));
    const late = await arrivalsOf(ctx, dueAt, 1000, 15_000);
    if (late.length < 1000) throw new Error(`burst of 1,000: only ${late.length} callbacks arrived`);
    progress(`  lateness: first ${late[0]} ms, p50 ${pct(late, 0.5)} ms, p99 ${pct(late, 0.99)} ms, last ${late.at(-1)} ms`);
    all.push(...late);
    worstMax = Math.max(worstMax, late.at(-1)!);
  }
  all.sort((a, b) => a - b);
  return { burst_1000_p50_ms: pct(all, 0.5), burst_1000_p99_ms: pct(all, 0.99), burst_1000_max_ms: worstMax };
}

// burst_10000: 10,000 one-shot tasks due at one instant (written straight
// into the database, as another node's API would): when the last callback
// arrived.
export async function burst10000(ctx: BenchContext): Promise<Measures> {
  progress(`${ctx.dialect}: burst of 10,000`);
  const dueAt = nextWholeSecondAfter(7000);
  await insertTasks(ctx.store, "burst10k", 10_000, { mode: SchedMode.AT }, () => dueAt);
  const late = await arrivalsOf(ctx, dueAt, 10_000, 60_000);
  if (late.length < 10_000) throw new Error(`burst of 10,000: only ${late.length} callbacks arrived`);
  return { burst_10000_p50_ms: pct(late, 0.5), burst_10000_last_ms: late.at(-1)! };
}
