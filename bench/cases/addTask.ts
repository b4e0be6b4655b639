import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SchedMode, TaskService } from "../../gen/easytask/v1/task_pb.js";
import { load, postJson, progress, stopAll, type BenchContext, type Measures } from "../support.js";

// add_task: 4,000 new one-shot tasks a day ahead from 32 keep-alive clients,
// through the documented path and then over Connect JSON.
export async function addTask(ctx: BenchContext): Promise<Measures> {
  progress(`${ctx.dialect}: add_task`);
  const farAway = Math.floor(Date.now() / 1000) + 86_400;
  const documented = await load(4000, (i) => postJson(ctx.agent, ctx.node.port, "/add_task", { name: `doc-${i}`, srv_name: "bench", sched_mode: 2, time_spec_at: farAway }));
  const client = createClient(TaskService, createConnectTransport({ baseUrl: `http://127.0.0.1:${ctx.node.port}`, httpVersion: "1.1" }));
  const connect = await load(4000, async (i) => {
    await client.addTask({ name: `connect-${i}`, srvName: "bench", schedMode: SchedMode.AT, timeSpecAt: BigInt(farAway) });
  });
  await stopAll(ctx.store);
  return { add_task_rps: documented.rps, add_task_p99_ms: documented.p99, add_task_connect_rps: connect.rps, add_task_connect_p99_ms: connect.p99 };
}
