import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { clients, PROTOCOLS, readyz } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

for (const dialect of DIALECTS) {
  describe(`Connect RPCs on ${dialect}`, () => {
    let node: TestNode;
    const worker = new FakeTaskServer();

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect);
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    for (const protocol of PROTOCOLS) {
      test(`every RPC over ${protocol}`, async () => {
        const api = clients(node.port, protocol);
        const srvName = `worker-${protocol}`;
        await api.registry.addTaskServer({ name: srvName, schema: "http", host: "127.0.0.1", port: worker.port, callbackTimeoutSec: 5 });
        const server = (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === srvName);
        assert.equal(server?.routes.length, 1);
        assert.equal(server?.routes[0].port, worker.port);
        assert.equal(server?.routes[0].callbackTimeoutSec, 5);

        const path = `/jobs/${protocol}`;
        worker.answer(path, { body: { is_run_in_async: true } });
        const { taskId } = await api.tasks.addTask({ name: protocol, srvName, callbackPath: path, schedMode: SchedMode.AT, timeSpecAt: 1n, arg: "{}", bizId: protocol });
        assert.ok(taskId > 0n);
        const { task } = await api.tasks.getTask({ taskId });
        assert.equal(task?.srvName, srvName);
        assert.equal(task?.callbackPath, path);
        const listed = await api.tasks.listTasks({ srvName });
        assert.deepEqual(listed.tasks.map((t) => t.taskId), [taskId]);

        const [run] = (await waitFor("the async run", () => api.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs[0]?.state === RunState.ASYNC_WAITING)).taskLogs;
        assert.equal(run.runTimes, 1);
        await api.tasks.confirmTask({ taskId, taskRunTimes: 1, isSuccess: true, extra: protocol });
        const [confirmed] = (await api.tasks.listTaskLogs({ taskId })).taskLogs;
        assert.equal(confirmed.state, RunState.SUCCEEDED);
        assert.equal(confirmed.extra, protocol);

        await api.tasks.stopTask({ taskId });
        assert.equal((await api.tasks.getTask({ taskId })).task?.state, TaskState.STOPPED);
        await api.registry.delTaskServer({ name: srvName, schema: "http", host: "127.0.0.1", port: worker.port });
        assert.equal((await api.registry.listTaskServers({})).taskServers.find((s) => s.name === srvName)?.routes.length, 0);

        const cluster = await api.cluster.getCluster({});
        assert.equal(cluster.nodeId, node.nodeId);
        assert.equal(cluster.isLeader, true);
      });
    }

    test("Connect JSON uses the proto field names, and int64 ids are JSON strings", async () => {
      const post = (method: string, body: unknown) =>
        fetch(`http://127.0.0.1:${node.port}/easytask.v1.${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const add = await post("RegistryService/AddTaskServer", { name: "raw", schema: "http", host: "127.0.0.1", port: worker.port, unknown_field: 1 });
      assert.equal(add.status, 200);
      const res = await post("TaskService/AddTask", { name: "raw", srv_name: "raw", sched_mode: 3, time_interval_sec: 3600 });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { task_id: unknown };
      assert.equal(typeof body.task_id, "string");
      const got = (await (await post("TaskService/GetTask", { task_id: Number(body.task_id) })).json()) as { task: Record<string, unknown> };
      assert.equal(got.task.srv_name, "raw");
      assert.equal(got.task.time_interval_sec, 3600);
    });

    test("a standalone node is ready and is the whole cluster", async () => {
      const cluster = await clients(node.port).cluster.getCluster({});
      assert.equal(cluster.electDriver, "standalone");
      assert.equal(cluster.leaderId, node.nodeId);
      assert.deepEqual(cluster.members.map((m) => [m.nodeId, m.address]), [[node.nodeId, `127.0.0.1:${node.port}`]]);
      assert.equal(cluster.ready, true, cluster.notReadyReason);
      const ready = await readyz(node.port);
      assert.equal(ready.status, 200);
      assert.deepEqual(ready.body, { ready: true, reason: "", node_id: node.nodeId, leading: true, leadership_known: true, leadership_reason: "" });
    });

    test("ListTasks pages through every task once", async () => {
      const api = clients(node.port);
      await api.registry.addTaskServer({ name: "pager", schema: "http", host: "127.0.0.1", port: worker.port });
      for (let i = 0; i < 7; i++) await api.tasks.addTask({ name: `p${i}`, srvName: "pager", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await api.tasks.listTasks({ srvName: "pager", pageSize: 3, pageToken });
        assert.ok(page.tasks.length <= 3);
        seen.push(...page.tasks.map((t) => t.name));
        pageToken = page.nextPageToken;
      } while (pageToken);
      assert.deepEqual(seen, ["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
    });
  });
}
