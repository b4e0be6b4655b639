import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SchedMode, TaskService, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { insertTasks, pct, progress, rssMb, sleep, type BenchContext, type Measures } from "../support.js";

// One ListTasks page of 50 (as the console asks), p50 and max of 20 calls,
// ms from request to answer over loopback: an upper bound of the server's time.
// `searches`: also the substring searches (over tasks named idle-N).
export async function listTaskPages(port: number, lastId: number, searches: boolean): Promise<Measures> {
  const client = createClient(TaskService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));
  const time = async (req: Parameters<typeof client.listTasks>[0], expect: (n: number) => boolean) => {
    const took: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = performance.now();
      const page = await client.listTasks({ pageSize: 50, ...req });
      if (i > 0) took.push(performance.now() - t);
      if (!expect(page.tasks.length)) throw new Error(`ListTasks ${JSON.stringify(req)} answered ${page.tasks.length} tasks`);
    }
    took.sort((a, b) => a - b);
    return `${pct(took, 0.5).toFixed(1)} / ${took.at(-1)!.toFixed(1)}`;
  };
  const pages = {
    list_tasks_first_page_ms: await time({}, (n) => n === 50),
    list_tasks_last_pages_ms: await time({ pageToken: String(lastId - 60) }, (n) => n > 0),
    list_tasks_by_server_state_ms: await time({ srvName: "bench", state: TaskState.SCHEDULED }, (n) => n === 50),
  };
  if (!searches) return pages;
  return {
    ...pages,
    list_tasks_search_common_ms: await time({ query: "IDLE-1" }, (n) => n === 50),
    list_tasks_search_rare_ms: await time({ query: "idle-99999" }, (n) => n === 1),
    list_tasks_search_none_ms: await time({ query: "no-such-task" }, (n) => n === 0),
  };
}

// Memory with 100,000 scheduled tasks (every hour, due spread over it), in a
// fresh process so the load before does not count; then the console's task
// list over them (the searches are substring matches over name and biz_id:
// "common" stops after the first page of matches, "rare" and "none" read
// every task).
export async function hundredThousand(ctx: BenchContext): Promise<Measures> {
  progress(`${ctx.dialect}: 100,000 tasks`);
  const node = await ctx.restart();
  const now = Date.now();
  await insertTasks(ctx.store, "idle", 100_000, { mode: SchedMode.INTERVAL, intervalSec: 3600 }, (i) => now + 1000 + Math.floor((i / 100_000) * 3_600_000));
  await sleep(8000);
  const rss = rssMb(node.proc.pid!);
  const { lastId } = await ctx.store.kysely.selectFrom("task").select((eb) => eb.fn.max("id").as("lastId")).executeTakeFirstOrThrow();
  progress(`${ctx.dialect}: ListTasks pages over 100,000 tasks`);
  return { rss_mb_100k_tasks: rss, ...(await listTaskPages(node.port, Number(lastId), true)) };
}
