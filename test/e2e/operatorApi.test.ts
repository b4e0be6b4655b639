import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { clients, type Clients } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";

after(stopSharedMariaDb);

// The RPCs behind the console's operator actions, as SDK users call them.

async function refusal(call: Promise<unknown>): Promise<{ code: Code; reason?: ErrorReason; field: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    const detail = e.findDetails(ErrorDetailSchema)[0];
    return { code: e.code, reason: detail?.reason, field: detail?.field ?? "", message: e.rawMessage };
  }
  assert.fail("the call was accepted");
}

for (const dialect of DIALECTS) {
  describe(`operator RPCs on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const worker = new FakeTaskServer();
    const route = (name: string) => ({ name, schema: "http", host: "127.0.0.1", port: worker.port });
    const interval = (name: string, srvName: string) => ({ name, srvName, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect);
      api = clients(node.port);
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    test("DeleteTaskServer removes a task server with its routes, refuses one that tasks use, and AddTask sees it gone", async () => {
      await api.registry.addTaskServer(route("doomed"));
      await api.registry.addTaskServer({ ...route("doomed"), port: worker.port + 1 });
      const { taskId } = await api.tasks.addTask(interval("uses-doomed", "doomed"));

      const inUse = await refusal(api.registry.deleteTaskServer({ name: "doomed" }));
      assert.deepEqual([inUse.code, inUse.reason, inUse.field], [Code.FailedPrecondition, ErrorReason.TASK_SERVER_IN_USE, "name"]);
      assert.equal(inUse.message, "task server doomed is used by 1 task: delete it first");
      assert.equal((await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "doomed")?.routes.length, 2);

      await api.tasks.deleteTask({ taskId });
      await api.registry.deleteTaskServer({ name: "doomed" });
      assert.equal((await api.registry.listTaskServers({})).taskServers.some((s) => s.name === "doomed"), false);
      const routes = await node.store.kysely.selectFrom("task_server_route").selectAll().execute();
      assert.equal(routes.length, 0, "its routes went with it");

      // This node looked the name up before: it must not write a task for the deleted row.
      const gone = await refusal(api.tasks.addTask(interval("after-delete", "doomed")));
      assert.deepEqual([gone.code, gone.reason], [Code.NotFound, ErrorReason.TASK_SERVER_NOT_FOUND]);
      assert.equal((await api.tasks.listTasks({ query: "after-delete" })).tasks.length, 0);
      // Registered again (a new id): AddTask finds it.
      await api.registry.addTaskServer(route("doomed"));
      const again = await api.tasks.addTask(interval("after-delete", "doomed"));
      assert.equal((await api.tasks.getTask({ taskId: again.taskId })).task!.srvName, "doomed");

      const missing = await refusal(api.registry.deleteTaskServer({ name: "nobody" }));
      assert.deepEqual([missing.code, missing.reason, missing.field], [Code.NotFound, ErrorReason.TASK_SERVER_NOT_FOUND, "name"]);
      assert.equal((await refusal(api.registry.deleteTaskServer({ name: "" }))).field, "name");
    });
  });
}
