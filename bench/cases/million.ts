import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { loggedAt } from "../../test/support/processNode.js";
import { insertTasks, progress, rssMb, sleep, stopAll, type BenchContext, type Measures } from "../support.js";
import { listTaskPages } from "./listTasks.js";

const MILLION = 1_000_000;

// million (--million): 1,000,000 scheduled tasks (every hour, due spread
// over it, so about 280 runs a second). A node started on them: how long
// from its start to leading, and from leading to the first run fired; its
// memory after 20 s of scheduling; the console's task list over them.
export async function million(ctx: BenchContext): Promise<Measures> {
  progress(`${ctx.dialect}: writing 1,000,000 tasks`);
  await ctx.node.stop();
  const now = Date.now();
  await insertTasks(ctx.store, "million", MILLION, { mode: SchedMode.INTERVAL, intervalSec: 3600 }, (i) => now + 60_000 + Math.floor((i / MILLION) * 3_600_000));
  progress(`${ctx.dialect}: a node starting on 1,000,000 tasks`);
  const startedAt = Date.now();
  const node = await ctx.restart();
  let leading: number | undefined;
  while ((leading = loggedAt(node, "leading: scheduling and health checks started")[0]) === undefined) await sleep(10);
  // Runs are due from a minute after the tasks were written.
  const before = new Set(ctx.taskServer.arrivals.keys());
  let first: number | undefined;
  while (first === undefined) {
    for (const [key, at] of ctx.taskServer.arrivals) if (!before.has(key) && at >= leading) first = Math.min(first ?? at, at);
    if (Date.now() - startedAt > 180_000) throw new Error("no run fired within 3 minutes of the start");
    await sleep(20);
  }
  const firstDue = now + 60_000;
  await sleep(20_000);
  const rss = rssMb(node.proc.pid!);
  const { lastId } = await ctx.store.kysely.selectFrom("task").select((eb) => eb.fn.max("id").as("lastId")).executeTakeFirstOrThrow();
  const pages = await listTaskPages(node.port, Number(lastId), false);
  await stopAll(ctx.store);
  return {
    million_start_to_leading_ms: leading - startedAt,
    // The first runs are due a minute after the tasks were written: the
    // first one fired counts from whichever came later, leading or its due time.
    million_leading_to_first_run_ms: first - Math.max(leading, firstDue),
    million_rss_mb: rss,
    million_list_first_page_ms: pages.list_tasks_first_page_ms,
    million_list_last_pages_ms: pages.list_tasks_last_pages_ms,
    million_list_by_server_state_ms: pages.list_tasks_by_server_state_ms,
  };
}
