import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { clients, postDocumented, type Clients } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { http1Client, http2Client, type WireClient } from "../support/wire.js";
import { sleep, waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

for (const dialect of DIALECTS) {
  describe(`documented paths on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const worker = new FakeTaskServer();
    const post = (path: string, body: unknown, headers?: Record<string, string>) => postDocumented(node.port, path, body, headers);
    const route = () => ({ name: "worker", schema: "http", host: "127.0.0.1", port: worker.port });
    const addTask = async (body: Record<string, unknown>) => {
      const res = await post("/add_task", { srv_name: "worker", ...body });
      assert.equal(res.json.code, 0, res.json.msg);
      return (res.json.data as { task_id: string }).task_id;
    };
    const logs = async (taskId: string) => (await api.tasks.listTaskLogs({ taskId: BigInt(taskId) })).taskLogs;

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect);
      api = clients(node.port);
      const res = await post("/add_task_server", { ...route(), callback_timeout_sec: 5, is_enable_health_check: true });
      assert.equal(res.json.code, 0, res.json.msg);
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    test("answers with the original's envelope and echoes the trace headers", async () => {
      const res = await post("/add_task_server", route(), { "x-easy-task-trace-id": "trace-abc", "x-easy-task-trace-span-id": "span-1" });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { code: 0, msg: "", data: {}, hint: "trace-abc" });
      assert.equal(res.headers.get("x-easy-task-trace-id"), "trace-abc");
      assert.equal(res.headers.get("x-easy-task-trace-span-id"), "span-1");
      const fresh = await post("/add_task_server", route());
      assert.match(fresh.json.hint, /^[0-9a-f]{32}$/);
      // W3C traceparent wins over the original's header when it is valid.
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      const traced = await post("/add_task_server", route(), { traceparent, "x-easy-task-trace-id": "trace-abc" });
      assert.equal(traced.json.hint, "4bf92f3577b34da6a3ce929d0e0e4736");
      assert.equal(traced.headers.get("x-easy-task-trace-id"), "4bf92f3577b34da6a3ce929d0e0e4736");
      for (const invalid of ["00-00000000000000000000000000000000-00f067aa0ba902b7-01", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "garbage"]) {
        assert.equal((await post("/add_task_server", route(), { traceparent: invalid, "x-easy-task-trace-id": "trace-abc" })).json.hint, "trace-abc", invalid);
      }
    });

    test("every documented path answers over h2c as over HTTP/1.1", async () => {
      // The same calls over each transport, on task servers and tasks of its own.
      const session = async (client: WireClient, suffix: string) => {
        const call = async (path: string, body: unknown) => {
          const ex = await client.send({ path, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          const json = JSON.parse(ex.body.toString()) as { code: number; msg: string; data: unknown };
          return { status: ex.status, code: json.code, msg: json.msg, data: json.data };
        };
        const server = { ...route(), name: `h-${suffix}` };
        const answers = [await call("/add_task_server", server)];
        const added = await call("/add_task", { name: `t-${suffix}`, srv_name: server.name, sched_mode: 3, time_interval_sec: 3600 });
        const taskId = (added.data as { task_id: string }).task_id;
        answers.push({ ...added, data: "task_id" });
        const confirmed = await call("/confirm_task", { task_id: taskId, task_run_times: 1, is_success: true });
        answers.push({ ...confirmed, msg: confirmed.msg.replace(taskId, "<task_id>") });
        answers.push(await call("/stop_task", { task_id: taskId }));
        answers.push(await call("/del_task_server", server));
        answers.push(await call("/add_task", { name: "", srv_name: server.name }));
        return answers;
      };
      const h1 = http1Client(node.port);
      const h2 = http2Client(node.port);
      try {
        const overH1 = await session(h1, "1");
        assert.deepEqual(
          overH1.map((a) => [a.status, a.code]),
          [[200, 0], [200, 0], [200, 10002], [200, 0], [200, 0], [200, 10001]],
          JSON.stringify(overH1),
        );
        assert.deepEqual(await session(h2, "2"), overH1);
      } finally {
        h1.close();
        h2.close();
      }
    });

    test("an interval task fires with the documented body, counting run_times", async () => {
      const taskId = await addTask({ name: "interval", callback_path: "/jobs/interval", sched_mode: 3, time_interval_sec: 1, arg: "a1", biz_id: "b1" });
      assert.match(taskId, /^\d+$/, "task_id is a JSON string");
      const calls = await waitFor("two callbacks", () => worker.tasks("/jobs/interval"), (c) => c.length >= 2);
      assert.equal(calls[0].raw, `{"cmd":1,"task_id":"${taskId}","task_name":"interval","arg":"a1","run_times":1,"biz_id":"b1"}`);
      assert.equal(calls[1].body.run_times, 2);
      assert.equal(calls[0].headers["x-easytask-run-id"], `${taskId}:1:1`);
      const secondsApart = (calls[1].at - calls[0].at) / 1000;
      assert.ok(secondsApart > 0.5 && secondsApart < 1.5, `fixed rate of 1 s, got ${secondsApart}`);
      await post("/stop_task", { task_id: taskId });
    });

    test("a cron task with seconds fires every second", async () => {
      const taskId = await addTask({ name: "cron", callback_path: "/jobs/cron", sched_mode: 1, time_cron: "*/1 * * * * *" });
      const calls = await waitFor("two cron callbacks", () => worker.tasks("/jobs/cron"), (c) => c.length >= 2);
      assert.deepEqual(calls.slice(0, 2).map((c) => c.body.run_times), [1, 2]);
      // Cron fires on the second boundary.
      assert.ok(calls[1].at % 1000 < 500, `fired ${calls[1].at % 1000} ms after the second`);
      await post("/stop_task", { task_id: taskId });
    });

    test("a one-shot task fires once at its time", async () => {
      const at = Math.ceil(Date.now() / 1000) + 1;
      const taskId = await addTask({ name: "once", callback_path: "/jobs/once", sched_mode: 2, time_spec_at: at });
      const calls = await waitFor("the one-shot callback", () => worker.tasks("/jobs/once"), (c) => c.length >= 1);
      assert.ok(calls[0].at >= at * 1000, "not before its time");
      const { task } = await api.tasks.getTask({ taskId: BigInt(taskId) });
      assert.equal(task?.state, TaskState.FINISHED);
      assert.equal(task?.nextFireAt, undefined);
      await sleep(1500);
      assert.equal(worker.tasks("/jobs/once").length, 1);
    });

    test("the same name and biz_id update the task and keep its id; the new arg is used next", async () => {
      const first = await addTask({ name: "upsert", biz_id: "k1", callback_path: "/jobs/upsert", sched_mode: 3, time_interval_sec: 1, arg: "old" });
      await waitFor("a run with the old arg", () => worker.tasks("/jobs/upsert"), (c) => c.length >= 1);
      const second = await addTask({ name: "upsert", biz_id: "k1", callback_path: "/jobs/upsert", sched_mode: 3, time_interval_sec: 1, arg: "new" });
      assert.equal(second, first);
      const other = await addTask({ name: "upsert", biz_id: "k2", callback_path: "/jobs/upsert", sched_mode: 3, time_interval_sec: 1, arg: "other" });
      assert.notEqual(other, first);
      await post("/stop_task", { task_id: other });
      await waitFor("a run with the new arg", () => worker.tasks("/jobs/upsert").filter((c) => c.body.task_id === first).at(-1)?.body.arg, (arg) => arg === "new");
      await post("/stop_task", { task_id: first });
      // Adding it again revives the stopped task under the same id.
      const revived = await addTask({ name: "upsert", biz_id: "k1", callback_path: "/jobs/upsert", sched_mode: 3, time_interval_sec: 1, arg: "again" });
      assert.equal(revived, first);
      assert.equal((await api.tasks.getTask({ taskId: BigInt(first) })).task?.state, TaskState.SCHEDULED);
      await post("/stop_task", { task_id: first });
    });

    test("an async run waits for confirm_task, which is recorded in task_log", async () => {
      worker.answer("/jobs/async", { body: { is_run_in_async: true } });
      const taskId = await addTask({ name: "async", callback_path: "/jobs/async", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
      await waitFor("the async run to wait", () => logs(taskId), (l) => l[0]?.state === RunState.ASYNC_WAITING);
      const confirm = await post("/confirm_task", { task_id: Number(taskId), is_success: true, extra: "report ready", task_run_times: 1 });
      assert.deepEqual(confirm.json.data, {});
      assert.equal(confirm.json.code, 0, confirm.json.msg);
      const [run] = await logs(taskId);
      assert.equal(run.state, RunState.SUCCEEDED);
      assert.equal(run.isSuccess, true);
      assert.equal(run.extra, "report ready");
      assert.ok(run.confirmedAt);
      assert.equal(run.route, `http://127.0.0.1:${worker.port}`);
      assert.equal(JSON.parse(run.response).is_run_in_async, true);
      // Confirming again with the same outcome is harmless; the opposite is refused.
      assert.equal((await post("/confirm_task", { task_id: taskId, is_success: true, task_run_times: 1 })).json.code, 0);
      assert.equal((await post("/confirm_task", { task_id: taskId, is_success: false, task_run_times: 1 })).json.code, 10001);
    });

    test("a failed answer is recorded with the task server's raw answer", async () => {
      worker.answer("/jobs/fail", { body: { is_success: false, extra: "disk full" } });
      const taskId = await addTask({ name: "fail", callback_path: "/jobs/fail", sched_mode: 2, time_spec_at: 1 });
      const [run] = await waitFor("the failed run", () => logs(taskId), (l) => l[0]?.state === RunState.FAILED);
      assert.equal(run.extra, "disk full");
      assert.equal(run.response, '{"is_success":false,"extra":"disk full"}');
      assert.equal(run.httpStatus, 200);
    });

    test("stop_task stops the task and aborts its callback in flight", async () => {
      worker.answer("/jobs/slow", "hang");
      const taskId = await addTask({ name: "slow", callback_path: "/jobs/slow", sched_mode: 3, time_interval_sec: 1 });
      await waitFor("the callback in flight", () => worker.tasks("/jobs/slow"), (c) => c.length === 1);
      const res = await post("/stop_task", { task_id: taskId });
      assert.equal(res.json.code, 0, res.json.msg);
      const [run] = await waitFor("the aborted run", () => logs(taskId), (l) => l[0]?.state === RunState.ABORTED);
      assert.equal(run.error, "task stopped");
      assert.equal((await api.tasks.getTask({ taskId: BigInt(taskId) })).task?.state, TaskState.STOPPED);
      await sleep(2500);
      assert.equal(worker.tasks("/jobs/slow").length, 1, "no callback after stop_task");
    });

    test("a route failing 3 heartbeats in a row is evicted; registering it again brings it back", async () => {
      const sick = await new FakeTaskServer().start();
      try {
        sick.pong = { pong: false };
        const sickRoute = { name: "sick", schema: "http", host: "127.0.0.1", port: sick.port, is_enable_health_check: true };
        assert.equal((await post("/add_task_server", sickRoute)).json.code, 0);
        const routesOf = async () => (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "sick")?.routes ?? [];
        await waitFor("the eviction", routesOf, (r) => r.length === 0);
        assert.ok(sick.heartbeats().length >= 3, `evicted after ${sick.heartbeats().length} heartbeats`);
        assert.equal(sick.heartbeats()[0].raw, '{"cmd":0}');
        sick.pong = { pong: true };
        assert.equal((await post("/add_task_server", sickRoute)).json.code, 0);
        const [back] = await waitFor("a passed heartbeat", routesOf, (r) => r[0]?.lastHeartbeatAt !== undefined);
        assert.equal(back.port, sick.port);
        assert.equal(back.failedHealthChecks, 0);
      } finally {
        await sick.stop();
      }
    });

    test("an IPv6 route host without brackets is taken, kept in one form, and called", async () => {
      const v6 = await new FakeTaskServer().start(0, { host: "::1" });
      try {
        for (const host of ["::1", "[::1]", "0:0::1"]) {
          const res = await post("/add_task_server", { name: "v6", schema: "http", host, port: v6.port, is_enable_health_check: true });
          assert.equal(res.json.code, 0, `${host}: ${res.json.msg}`);
        }
        const [server] = (await api.registry.listTaskServers({})).taskServers.filter((s) => s.name === "v6");
        assert.deepEqual(server!.routes.map((r) => r.host), ["[::1]"], "one route, written as in its URL");
        const taskId = await addTask({ name: "v6-once", srv_name: "v6", callback_path: "/v6", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
        const [call] = await waitFor("the callback over IPv6", () => v6.tasks("/v6"), (c) => c.length === 1);
        assert.equal(call!.body.task_id, taskId);
        await waitFor("a heartbeat over IPv6", () => v6.heartbeats().length, (n) => n > 0);
        const removed = await post("/del_task_server", { name: "v6", schema: "http", host: "::1", port: v6.port });
        assert.equal(removed.json.code, 0, removed.json.msg);
      } finally {
        await v6.stop();
      }
    });

    test("a second route gets work on the next dispatch; a removed route gets none", async () => {
      const second = await new FakeTaskServer().start();
      try {
        const taskId = await addTask({ name: "moving", callback_path: "/jobs/moving", sched_mode: 3, time_interval_sec: 1 });
        await waitFor("a run on the first route", () => worker.tasks("/jobs/moving"), (c) => c.length >= 1);
        assert.equal((await post("/add_task_server", { ...route(), port: second.port })).json.code, 0);
        assert.equal((await post("/del_task_server", route())).json.code, 0);
        const before = worker.tasks("/jobs/moving").length;
        await waitFor("a run on the second route", () => second.tasks("/jobs/moving"), (c) => c.length >= 2);
        assert.ok(worker.tasks("/jobs/moving").length <= before + 1, "at most the run already in flight reached the removed route");
        await post("/stop_task", { task_id: taskId });
        await post("/add_task_server", route());
        await post("/del_task_server", { ...route(), port: second.port });
      } finally {
        await second.stop();
      }
    });
  });
}
