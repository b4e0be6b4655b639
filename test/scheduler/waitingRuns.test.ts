import assert from "node:assert/strict";
import { test } from "node:test";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { clients } from "../support/api.js";
import { openStore } from "../../src/store/openStore.js";
import { startTestNode, stopSharedMariaDb } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

// With one callback slot, the scheduler claims a run ahead of it, which
// waits in the dispatcher for the slot: it is never called while it waits,
// a kill drops it, and a stop records it as never called.
test("a claimed run waiting for a slot is called only when one frees, and a kill or a stop while it waits is recorded", async () => {
  const server = await new FakeTaskServer().start();
  server.answer("/hang", "hang");
  const node = await startTestNode("mysql", { taskWorkerPoolSize: 1 });
  const api = clients(node.port);
  try {
    await api.registry.addTaskServer({ name: "w", schema: "http", host: "127.0.0.1", port: server.port, callbackTimeoutSec: 60 });
    const now = BigInt(Math.floor(Date.now() / 1000));
    const add = async (name: string) => (await api.tasks.addTask({ name, srvName: "w", callbackPath: "/hang", schedMode: SchedMode.AT, timeSpecAt: now })).taskId;
    const first = await add("first");
    await waitFor("the first run in flight", () => server.tasks("/hang"), (c) => c.length === 1);
    const second = await add("second");
    const runOf = async (taskId: bigint) => (await api.tasks.listTaskLogs({ taskId })).taskLogs[0];
    await waitFor("the second run claimed", () => runOf(second), (r) => r?.state === RunState.RUNNING);
    assert.equal(server.tasks("/hang").length, 1, "the claimed run waits for the slot: not called");

    await api.tasks.killRun({ taskId: second, runTimes: 1 });
    await api.tasks.killRun({ taskId: first, runTimes: 1 });
    const third = await add("third");
    await waitFor("the third run in flight once the slot is free", () => server.tasks("/hang"), (c) => c.length === 2);
    assert.deepEqual(
      server.tasks("/hang").map((c) => c.body.task_id),
      [String(first), String(third)],
      "the killed run was dropped where it waited, never called",
    );
    assert.equal((await runOf(second)).state, RunState.KILLED);

    const fourth = await add("fourth");
    await waitFor("the fourth run claimed", () => runOf(fourth), (r) => r?.state === RunState.RUNNING);
    await node.stop();
    const store = await openStore({ kind: "mysql", url: (node.config.store as { url: string }).url });
    try {
      const run = await store.kysely.selectFrom("task_log").selectAll().where("task_id", "=", Number(fourth)).executeTakeFirstOrThrow();
      assert.equal(run.state, RunState.ABORTED);
      assert.match(run.error, /not called/);
      assert.equal(server.tasks("/hang").length, 2, "the waiting run was never called");
    } finally {
      await store.close();
    }
  } finally {
    await server.stop();
    await stopSharedMariaDb();
  }
});
