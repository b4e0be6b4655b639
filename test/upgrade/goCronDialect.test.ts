import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { clients, postDocumented, type Clients } from "../support/api.js";
import { startTestNode, type TestNode } from "../support/node.js";

// cron_dialect "easytask-go": /add_task reads time_cron as the Go original
// did (6 fields are minute … year) in the zone it ran in; the proto API
// keeps easytask's dialect.

const MONDAY_9_SHANGHAI = /T01:00:00\.000Z$/;

describe("cron_dialect easytask-go", () => {
  let node: TestNode;
  let api: Clients;
  const addTask = (body: Record<string, unknown>) => postDocumented(node.port, "/add_task", { srv_name: "w", callback_path: "/c", sched_mode: 1, ...body });
  const taskOf = async (res: Awaited<ReturnType<typeof addTask>>) => {
    assert.equal(res.json.code, 0, res.json.msg);
    return (await api.tasks.getTask({ taskId: BigInt((res.json.data as { task_id: string }).task_id) })).task!;
  };

  before(async () => {
    node = await startTestNode("sqlite", { cronDialect: "easytask-go", easytaskGo: { timeZone: "Asia/Shanghai" } });
    api = clients(node.port);
    assert.equal((await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: 9 })).json.code, 0);
  });
  after(() => node.stop());

  test("/add_task: 6 fields are minute … year, in the original's time zone", async () => {
    const task = await taskOf(await addTask({ name: "monday", time_cron: "0 9 * * 1 *" }));
    assert.equal(task.timeCron, "0 0 9 * * 1");
    assert.equal(task.timeZone, "Asia/Shanghai");
    const next = new Date(timestampMs(task.nextFireAt!));
    assert.equal(next.getUTCDay(), 1);
    assert.match(next.toISOString(), MONDAY_9_SHANGHAI);
    // A zone given with the task wins.
    assert.equal((await taskOf(await addTask({ name: "utc", time_cron: "0 9 * * 1 *", time_zone: "UTC" }))).timeZone, "UTC");
  });

  test("/add_task: the year field bounds the task", async () => {
    const task = await taskOf(await addTask({ name: "years", time_cron: "0 12 * * * 2097-2098" }));
    assert.equal(task.timeCron, "0 0 12 * * *");
    assert.equal(task.startAt, BigInt(Date.UTC(2096, 11, 31, 16) / 1000));
    assert.equal(task.endAt, BigInt(Date.UTC(2098, 11, 31, 16) / 1000 - 1));
    assert.equal(timestampMs(task.nextFireAt!), Date.UTC(2097, 0, 1, 4));
  });

  test("/add_task: an expression with no equivalent is refused naming time_cron", async () => {
    const res = await addTask({ name: "gaps", time_cron: "0 9 * * 1 2027,2029" });
    assert.equal(res.json.code, 10001);
    assert.match(res.json.msg, /^time_cron "0 9 \* \* 1 2027,2029", read as easytask \(Go\) read it \(cron_dialect "easytask-go"\): its year field "2027,2029" is not one run of years/);
    assert.equal((await addTask({ name: "w", time_cron: "0 9 15W * *" })).json.code, 10001);
  });

  test("the proto API keeps easytask's dialect: 6 fields are seconds first", async () => {
    const { taskId } = await api.tasks.addTask({ name: "connect", srvName: "w", schedMode: SchedMode.CRON, timeCron: "0 9 * * 1 *" });
    assert.equal((await api.tasks.getTask({ taskId })).task!.timeCron, "0 9 * * 1 *");
  });

  test("a task paused for want of a schedule is refused resume until add_task gives it one", async () => {
    const task = await taskOf(await addTask({ name: "legacy", biz_id: "b", time_cron: "0 9 * * 1 *" }));
    await node.store.kysely.updateTable("task").set({ state: TaskState.PAUSED, next_fire_at: null, paused_reason: "its time_cron … cannot be kept" }).where("id", "=", Number(task.taskId)).execute();
    await assert.rejects(api.tasks.resumeTask({ taskId: task.taskId }), (err: unknown) => ConnectError.from(err).code === Code.FailedPrecondition && /cannot be resumed: its time_cron … cannot be kept/.test(ConnectError.from(err).rawMessage));
    const again = await taskOf(await addTask({ name: "legacy", biz_id: "b", time_cron: "30 9 * * 1" }));
    assert.equal(again.taskId, task.taskId);
    assert.equal(again.state, TaskState.SCHEDULED);
    assert.equal(again.pausedReason, "");
  });
});

test("the default dialect reads 6 fields on /add_task seconds first", async () => {
  const node = await startTestNode("sqlite");
  try {
    assert.equal((await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: 9 })).json.code, 0);
    const res = await postDocumented(node.port, "/add_task", { name: "t", srv_name: "w", sched_mode: 1, time_cron: "0 9 * * 1 *" });
    assert.equal(res.json.code, 0, res.json.msg);
    const { task } = await clients(node.port).tasks.getTask({ taskId: BigInt((res.json.data as { task_id: string }).task_id) });
    assert.deepEqual([task!.timeCron, task!.timeZone], ["0 9 * * 1 *", ""]);
  } finally {
    await node.stop();
  }
});
