import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { create, getOption, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AlertDelivery, AlertKind, AlertSettingsSchema, ClusterService, Role } from "../../gen/easytask/v1/cluster_pb.js";
import { legacy_path } from "../../gen/easytask/v1/options_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { BulkTaskActionRequestSchema, RunState, SchedMode, TaskAction, TaskService, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { rpcName } from "../../src/server/apiMetrics.js";
import { changesData } from "../../src/server/auth.js";
import { clients, postDocumented, PROTOCOLS, refusal, transport, type Clients, type Protocol } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// The RPCs behind the console's operator actions, as SDK users call them.

const SERVICES = [TaskService, RegistryService, ClusterService];

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

    test("TriggerTask runs once with another arg, also while paused; its retries send that arg; a stopped task is refused", async () => {
      await api.registry.addTaskServer(route("once"));
      worker.answer("/once", { body: { is_success: false } });
      const { taskId } = await api.tasks.addTask({ ...interval("run-once", "once"), callbackPath: "/once", arg: "the task's", maxRetries: 1, retryBackoff: { initialSec: 1 } });
      await api.tasks.pauseTask({ taskId });
      const { runTimes } = await api.tasks.triggerTask({ taskId, arg: '{"just":"once"}' });
      await waitFor("the run and its retry", () => worker.tasks("/once").filter((r) => r.body.run_times === runTimes), (r) => r.length === 2);
      assert.deepEqual(worker.tasks("/once").map((r) => [r.body.arg, r.body.attempt ?? 1]), [['{"just":"once"}', 1], ['{"just":"once"}', 2]], "fired while paused; the retry sends the run's arg");
      const logs = (await api.tasks.listTaskLogs({ taskId })).taskLogs;
      assert.deepEqual(logs.map((l) => [l.attempt, l.arg, l.manual]), [[2, '{"just":"once"}', true], [1, '{"just":"once"}', true]]);
      const task = (await api.tasks.getTask({ taskId })).task!;
      assert.deepEqual([task.state, task.arg], [TaskState.PAUSED, "the task's"], "the task is as it was");

      const plain = await api.tasks.triggerTask({ taskId });
      await waitFor("a run with the task's arg", () => worker.tasks("/once").filter((r) => r.body.run_times === plain.runTimes && r.body.attempt === undefined), (r) => r.length === 1);
      assert.equal(worker.tasks("/once").find((r) => r.body.run_times === plain.runTimes)!.body.arg, "the task's");
      assert.equal((await api.tasks.listTaskLogs({ taskId, pageSize: 1 })).taskLogs[0].arg, undefined);

      await api.tasks.stopTask({ taskId });
      const stopped = await refusal(api.tasks.triggerTask({ taskId, arg: "x" }));
      assert.deepEqual([stopped.code, stopped.reason], [Code.FailedPrecondition, ErrorReason.TASK_STATE]);
      assert.equal((await refusal(api.tasks.triggerTask({ taskId: 987654n }))).code, Code.NotFound);
    });

    test("RetryRun runs again a run that ended without success, once, even while paused; not a success, an open run or a missing one", async () => {
      await api.registry.addTaskServer(route("again"));
      worker.answer("/again", { body: { is_success: false, extra: "no" } });
      const { taskId } = await api.tasks.addTask({ ...interval("retry-me", "again"), callbackPath: "/again", arg: "a" });
      const { runTimes } = await api.tasks.triggerTask({ taskId, arg: "b" });
      await waitFor("the failure", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length === 1 && l[0].state === RunState.FAILED);
      await api.tasks.pauseTask({ taskId });
      worker.answer("/again", { body: { is_success: true } });
      const both = await Promise.allSettled([api.tasks.retryRun({ taskId, runTimes }), api.tasks.retryRun({ taskId, runTimes })]);
      assert.deepEqual(both.flatMap((o) => (o.status === "fulfilled" ? [o.value.attempt] : [])), [2], "two retries at once add one attempt");
      const refused = both.flatMap((o) => (o.status === "rejected" ? [ConnectError.from(o.reason)] : []));
      assert.deepEqual(refused.map((e) => [e.code, e.findDetails(ErrorDetailSchema)[0]?.reason]), [[Code.FailedPrecondition, ErrorReason.RUN_NOT_RETRYABLE]]);
      await waitFor("the retry to succeed", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length === 2 && l[0].state === RunState.SUCCEEDED);
      const retried = worker.tasks("/again").at(-1)!;
      assert.deepEqual([retried.body.run_times, retried.body.attempt, retried.body.arg, retried.headers["x-easytask-run-id"]], [runTimes, 2, "b", `${taskId}:${runTimes}:2`]);
      assert.equal((await api.tasks.listTaskLogs({ taskId, pageSize: 1 })).taskLogs[0].manual, true);

      const succeeded = await refusal(api.tasks.retryRun({ taskId, runTimes }));
      assert.deepEqual([succeeded.code, succeeded.reason, succeeded.field], [Code.FailedPrecondition, ErrorReason.RUN_NOT_RETRYABLE, "run_times"]);
      const none = await refusal(api.tasks.retryRun({ taskId, runTimes: 99 }));
      assert.deepEqual([none.code, none.reason], [Code.NotFound, ErrorReason.RUN_NOT_FOUND]);
      assert.equal((await refusal(api.tasks.retryRun({ taskId, runTimes: 0 }))).field, "run_times");
    });

    test("BulkTaskAction pauses, resumes, stops and deletes given tasks or a filter's, and counts what it changed", async () => {
      await api.registry.addTaskServer(route("bulk"));
      const ids: bigint[] = [];
      for (const name of ["bulk-a", "bulk-b", "bulk-c", "bulk-d", "other"]) ids.push((await api.tasks.addTask(interval(name, "bulk"))).taskId);
      const states = async () => Promise.all(ids.map(async (taskId) => (await api.tasks.getTask({ taskId })).task!.state));
      await api.tasks.pauseTask({ taskId: ids[0] });
      assert.deepEqual(await api.tasks.bulkTaskAction({ action: TaskAction.PAUSE, taskIds: [ids[0], ids[1], ids[1], 987654n] }), { $typeName: "easytask.v1.BulkTaskActionResponse", changed: 1, unchanged: 2, nextPageToken: "" }, "ids count once; a missing one is unchanged");
      const { SCHEDULED: S, PAUSED: P, STOPPED: X } = TaskState;
      assert.deepEqual(await states(), [P, P, S, S, S]);

      const byQuery = (action: TaskAction, pageToken = "") => api.tasks.bulkTaskAction({ action, filter: { query: "BULK-" }, pageToken });
      assert.deepEqual([(await byQuery(TaskAction.RESUME)).changed, (await byQuery(TaskAction.RESUME)).unchanged], [2, 4], "a filter's tasks; resuming twice changes nothing the second time");
      assert.deepEqual(await states(), [S, S, S, S, S]);
      const rest = await byQuery(TaskAction.STOP, String(ids[1]));
      assert.deepEqual([rest.changed, rest.unchanged, rest.nextPageToken], [2, 0, ""], "page_token goes on after an id");
      assert.deepEqual(await states(), [S, S, X, X, S]);
      assert.equal((await api.tasks.bulkTaskAction({ action: TaskAction.PAUSE, filter: { state: TaskState.SCHEDULED, srvName: "bulk" } })).changed, 3);
      assert.deepEqual(await states(), [P, P, X, X, P]);
      assert.equal((await api.tasks.bulkTaskAction({ action: TaskAction.DELETE, taskIds: [ids[2], ids[3]] })).changed, 2);
      assert.equal((await refusal(api.tasks.getTask({ taskId: ids[2] }))).code, Code.NotFound);

      const refusals: [MessageInitShape<typeof BulkTaskActionRequestSchema>, string][] = [
        [{ taskIds: [ids[0]] }, "action"],
        [{ action: TaskAction.PAUSE }, "filter"],
        [{ action: TaskAction.PAUSE, taskIds: [ids[0]], filter: {} }, "filter"],
        [{ action: TaskAction.PAUSE, taskIds: Array.from({ length: 1001 }, (_, i) => BigInt(i + 1)) }, "task_ids"],
        [{ action: TaskAction.PAUSE, taskIds: [0n] }, "task_ids"],
        [{ action: TaskAction.PAUSE, filter: {}, pageToken: "x" }, "page_token"],
      ];
      for (const [req, field] of refusals) {
        assert.equal((await refusal(api.tasks.bulkTaskAction(req))).field, field, JSON.stringify(req, (_k, v) => (typeof v === "bigint" ? String(v) : v)).slice(0, 80));
      }
    });

    test("GetTaskHistory counts a task's runs per bucket with their durations; ListTaskLogs finds runs by error text", async () => {
      await api.registry.addTaskServer(route("hist"));
      worker.answer("/ok", { body: { is_success: true }, delayMs: 30 });
      worker.answer("/bad", { status: 503, body: "down" });
      const { taskId } = await api.tasks.addTask({ ...interval("history", "hist"), callbackPath: "/ok" });
      for (let i = 0; i < 3; i++) await api.tasks.triggerTask({ taskId });
      await waitFor("3 runs", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.filter((r) => r.state === RunState.SUCCEEDED).length === 3);
      await api.tasks.addTask({ ...interval("history", "hist"), callbackPath: "/bad" });
      for (let i = 0; i < 2; i++) await api.tasks.triggerTask({ taskId });
      await waitFor("2 failures", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.filter((r) => r.state === RunState.FAILED).length === 2);

      const history = await api.tasks.getTaskHistory({ taskId, bucketSec: 60, buckets: 5 });
      assert.equal(history.buckets.length, 5);
      assert.equal(history.truncated, false);
      const starts = history.buckets.map((b) => timestampMs(b.start!));
      assert.deepEqual(starts.map((s, i) => (i ? s - starts[i - 1] : s % 60_000)), [0, 60_000, 60_000, 60_000, 60_000], "whole minutes, one apart");
      const total = (k: "succeeded" | "failed" | "other") => history.buckets.reduce((n, b) => n + b[k], 0);
      assert.deepEqual([total("succeeded"), total("failed"), total("other")], [3, 2, 0]);
      const busy = history.buckets.filter((b) => b.succeeded + b.failed > 0);
      assert.ok(busy.every((b) => b.durationMaxMs >= b.durationAvgMs));
      assert.ok(busy.some((b) => b.durationMaxMs >= 30), "the slow answers' time is counted");
      const day = await api.tasks.getTaskHistory({ taskId });
      assert.equal(day.buckets.length, 24, "24 hourly buckets by default");
      for (const [req, field] of [
        [{ taskId, bucketSec: 59 }, "bucket_sec"],
        [{ taskId, bucketSec: 86_401 }, "bucket_sec"],
        [{ taskId, buckets: 401 }, "buckets"],
        [{ taskId: 0n }, "task_id"],
      ] as const) {
        assert.equal((await refusal(api.tasks.getTaskHistory(req))).field, field);
      }
      assert.equal((await refusal(api.tasks.getTaskHistory({ taskId: 987654n }))).code, Code.NotFound);

      const found = await api.tasks.listTaskLogs({ errorContains: "answered http 5" });
      assert.deepEqual(found.taskLogs.map((l) => [l.taskId, l.error]), [[taskId, "task server answered HTTP 503"], [taskId, "task server answered HTTP 503"]]);
      assert.equal(found.nextPageToken, "");
      const onePage = await api.tasks.listTaskLogs({ taskId, errorContains: "HTTP 503", pageSize: 1 });
      assert.equal(onePage.taskLogs.length, 1);
      const next = await api.tasks.listTaskLogs({ taskId, errorContains: "HTTP 503", pageSize: 1, pageToken: onePage.nextPageToken });
      assert.ok(next.taskLogs[0].taskLogId < onePage.taskLogs[0].taskLogId);
      assert.equal((await api.tasks.listTaskLogs({ errorContains: "100%_literal" })).taskLogs.length, 0, "% and _ are taken literally");
      assert.equal((await refusal(api.tasks.listTaskLogs({ errorContains: "x".repeat(256) }))).field, "error_contains");
    });
  });
}

const ADMIN = "admin-token-0123456789";
const VIEWER = "viewer-token-0123456789";
const HOOK = "/hooks/alerts-secret-path";

for (const dialect of DIALECTS) {
  describe(`roles, audit and alerts on ${dialect}`, () => {
    let node: TestNode;
    const worker = new FakeTaskServer();
    const hooks = new FakeTaskServer();
    const admin = (protocol: Protocol = "connect-json") => clients(node.port, protocol, ADMIN);
    const viewer = (protocol: Protocol = "connect-json") => clients(node.port, protocol, VIEWER);
    const posted = () => hooks.tasks(HOOK).map((r) => r.body as { text: string; alert: Record<string, unknown> });

    before(async () => {
      await worker.start();
      await hooks.start();
      node = await startTestNode(dialect, {
        auth: { tokens: [ADMIN, { name: "dashboards", token: VIEWER, role: "viewer" }], protectHealth: false, protectMetrics: false },
        alerts: { webhookUrl: `http://127.0.0.1:${hooks.port}${HOOK}`, failingRunsInARow: 3, webhookTimeoutSec: 1 },
      });
      await admin().registry.addTaskServer({ name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
    });
    after(async () => {
      await node.stop();
      await worker.stop();
      await hooks.stop();
    });

    test("a viewer token reads everything and is refused every method that changes data, over every protocol and every documented path", async () => {
      const { taskId } = await admin().tasks.addTask({ name: "watched", srvName: "w", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const tables = () => Promise.all((["task", "task_server", "task_server_route", "task_log", "audit_log"] as const).map((t) => node.store.kysely.selectFrom(t).selectAll().execute()));
      const before = await tables();
      const methods = SERVICES.flatMap((s) => s.methods);
      assert.deepEqual(
        methods.filter((m) => !changesData(m)).map((m) => m.name),
        ["GetTask", "ListTasks", "ListTaskLogs", "PreviewSchedule", "GetStats", "GetTaskHistory", "ListTaskServers", "GetCluster", "WhoAmI", "ListAuditLog", "ListAlerts"],
        "the methods a viewer may call, as the README lists them",
      );
      for (const protocol of PROTOCOLS) {
        const v = viewer(protocol);
        assert.deepEqual((await v.cluster.whoAmI({})).name, "dashboards");
        assert.equal((await v.cluster.whoAmI({})).role, Role.VIEWER);
        assert.equal((await v.tasks.getTask({ taskId })).task!.name, "watched");
        assert.ok((await v.tasks.listTaskLogs({})).taskLogs);
        assert.ok((await v.cluster.listAuditLog({})).entries.length > 0);
        for (const service of SERVICES) {
          const calls = createClient(service, transport(node.port, protocol, VIEWER)) as unknown as Record<string, (req: object) => Promise<unknown>>;
          for (const method of service.methods.filter(changesData)) {
            // A request that would be accepted from an admin: the role, not the body, refuses it.
            const r = await refusal(calls[method.localName]({ taskId, name: "w" }));
            assert.deepEqual([r.code, r.reason], [Code.PermissionDenied, ErrorReason.READ_ONLY_TOKEN], `${method.name} over ${protocol}`);
            assert.equal(r.message, `the API token "dashboards" is read-only (role viewer): ${method.name} changes data`);
          }
        }
      }
      const paths = methods.flatMap((m) => (getOption(m, legacy_path) ? [[getOption(m, legacy_path), m] as const] : []));
      assert.deepEqual(paths.map(([p]) => p).sort(), ["/add_task", "/add_task_server", "/confirm_task", "/del_task_server", "/stop_task"]);
      for (const [path, method] of paths) {
        const res = await postDocumented(node.port, path, { task_id: String(taskId), name: "w" }, { authorization: `Bearer ${VIEWER}` });
        assert.equal(res.status, 403, path);
        assert.deepEqual([res.json.code, res.json.data, res.json.msg], [403, null, `the API token "dashboards" is read-only (role viewer): ${method.name} changes data`]);
      }
      assert.deepEqual(await tables(), before, "nothing changed, and no refusal is in the audit log");

      // Connect GET: reads only.
      const get = (method: string) => fetch(`http://127.0.0.1:${node.port}/${method}?connect=v1&encoding=json&message=%7B%7D`, { headers: { authorization: `Bearer ${VIEWER}` } });
      assert.equal((await get("easytask.v1.ClusterService/WhoAmI")).status, 200);
      assert.notEqual((await get("easytask.v1.TaskService/AddTask")).status, 200);
      const me = await admin().cluster.whoAmI({});
      assert.deepEqual([me.name, me.role, me.authRequired], ["auth.tokens[0]", Role.ADMIN, true]);
    });

    test("every change through every surface is in the audit log: who, what, about what, how; secrets and long values left out", async () => {
      const { entries: before } = await admin().cluster.listAuditLog({ pageSize: 1 });
      await admin("connect-json").registry.addTaskServer({ name: "audited", schema: "http", host: "127.0.0.1", port: worker.port, secret: "audit-secret-0123456789" });
      const { taskId } = await admin("grpc").tasks.addTask({ name: "audit-me", srvName: "audited", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600, arg: "x".repeat(1000) });
      await admin("grpc-web").tasks.pauseTask({ taskId });
      await refusal(viewer().tasks.resumeTask({ taskId }));
      await admin("connect-binary").tasks.bulkTaskAction({ action: TaskAction.RESUME, taskIds: [taskId] });
      const stopped = await postDocumented(node.port, "/stop_task", { task_id: String(taskId) }, { authorization: `Bearer ${ADMIN}` });
      assert.equal(stopped.json.code, 0);
      await admin().tasks.getTask({ taskId });

      const { entries } = await viewer().cluster.listAuditLog({});
      const fresh = entries.filter((e) => e.auditId > (before[0]?.auditId ?? 0n));
      assert.deepEqual(
        fresh.map((e) => [e.actor, e.method, e.protocol, e.targets.join()]),
        [
          ["auth.tokens[0]", "easytask.v1.TaskService/StopTask", "documented", `task:${taskId}`],
          ["auth.tokens[0]", "easytask.v1.TaskService/BulkTaskAction", "connect", `task:${taskId}`],
          ["auth.tokens[0]", "easytask.v1.TaskService/PauseTask", "grpc-web", `task:${taskId}`],
          ["auth.tokens[0]", "easytask.v1.TaskService/AddTask", "grpc", `task:${taskId}`],
          ["auth.tokens[0]", "easytask.v1.RegistryService/AddTaskServer", "connect", "task_server:audited"],
        ],
        "newest first; reads and refused calls are not in it",
      );
      const [stop, bulk, , add, server] = fresh;
      assert.deepEqual(JSON.parse(bulk.result), { changed: 1 });
      assert.equal(JSON.parse(add.result).task_id, String(taskId));
      assert.match(JSON.parse(add.request).arg, /^x{200}… \(1000 characters\)$/);
      assert.equal(JSON.parse(server.request).secret, "[REDACTED]");
      assert.ok(!entries.some((e) => e.request.includes("audit-secret")), "the secret is in no entry");
      assert.equal(stop.traceId, stopped.headers.get("x-easy-task-trace-id"), "the trace id the call was answered with");
      assert.match(stop.traceId, /^[0-9a-f]{32}$/);
      assert.ok(timestampMs(stop.at!) >= timestampMs(server.at!));

      const aboutTask = await admin().cluster.listAuditLog({ target: `task:${taskId}` });
      assert.deepEqual(aboutTask.entries.map((e) => e.method.split("/")[1]), ["StopTask", "BulkTaskAction", "PauseTask", "AddTask"]);
      assert.equal((await admin().cluster.listAuditLog({ actor: "dashboards" })).entries.length, 0);
      const paged = await admin().cluster.listAuditLog({ target: `task:${taskId}`, pageSize: 3 });
      assert.equal((await admin().cluster.listAuditLog({ target: `task:${taskId}`, pageToken: paged.nextPageToken })).entries[0].method, "easytask.v1.TaskService/AddTask");

      // Confirmations are recorded on the run, not in the audit log.
      worker.answer("/async", { body: { is_run_in_async: true } });
      const { taskId: asyncTask } = await admin().tasks.addTask({ name: "confirmed", srvName: "w", callbackPath: "/async", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const { runTimes } = await admin().tasks.triggerTask({ taskId: asyncTask });
      await waitFor("the async answer", async () => (await admin().tasks.listTaskLogs({ taskId: asyncTask })).taskLogs[0]?.state, (s) => s === RunState.ASYNC_WAITING);
      await admin().tasks.confirmTask({ taskId: asyncTask, taskRunTimes: runTimes, isSuccess: true });
      assert.deepEqual((await admin().cluster.listAuditLog({ target: `task:${asyncTask}` })).entries.map((e) => e.method.split("/")[1]), ["TriggerTask", "AddTask"]);

      // Every other method that changes data is recorded too.
      const second = await admin().tasks.triggerTask({ taskId: asyncTask });
      await waitFor("the second async answer", async () => (await admin().tasks.listTaskLogs({ taskId: asyncTask, pageSize: 1 })).taskLogs[0], (l) => l.runTimes === second.runTimes && l.state === RunState.ASYNC_WAITING);
      await admin().tasks.killRun({ taskId: asyncTask, runTimes: second.runTimes });
      await admin().tasks.retryRun({ taskId: asyncTask, runTimes: second.runTimes });
      await admin().tasks.resumeTask({ taskId: asyncTask });
      await admin().tasks.deleteTask({ taskId: asyncTask });
      await admin().registry.addTaskServer({ name: "spare", schema: "http", host: "127.0.0.1", port: worker.port });
      await admin().registry.delTaskServer({ name: "spare", schema: "http", host: "127.0.0.1", port: worker.port });
      await admin().registry.deleteTaskServer({ name: "spare" });
      const recorded = new Set((await admin().cluster.listAuditLog({ pageSize: 1000 })).entries.map((e) => e.method));
      const writes = SERVICES.flatMap((s) => s.methods.filter(changesData).map(rpcName)).filter((m) => m !== "easytask.v1.TaskService/ConfirmTask");
      assert.deepEqual([...recorded].sort(), writes.sort());
    });

    test("a task failing 3 runs in a row posts one alert to the webhook; after a success, 3 more post another; an evicted route too; a refused post is recorded", async () => {
      hooks.answer(HOOK, { body: { ok: true } });
      worker.answer("/flaky", { status: 500, body: "boom" });
      const { taskId } = await admin().tasks.addTask({ name: "flaky", srvName: "w", callbackPath: "/flaky", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const runOnce = async () => {
        const { runTimes } = await admin().tasks.triggerTask({ taskId });
        await waitFor(`run ${runTimes}`, async () => (await admin().tasks.listTaskLogs({ taskId, pageSize: 1 })).taskLogs[0], (l) => l.runTimes === runTimes && l.state !== RunState.PENDING && l.state !== RunState.RUNNING);
      };
      for (let i = 0; i < 3; i++) await runOnce();
      await waitFor("the alert", posted, (p) => p.length === 1);
      const [first] = posted();
      assert.equal(first.text, `easytask: task "flaky" (id ${taskId}, task server w) failed 3 runs in a row; the last: task server answered HTTP 500`);
      assert.deepEqual({ ...first.alert, at: undefined }, { kind: "task_failing", task_id: String(taskId), task_name: "flaky", biz_id: "", task_server: "w", failed_runs: 3, last_error: "task server answered HTTP 500", at: undefined });
      const example = JSON.parse(/\n### Alerts\n[\s\S]*?```json\n([\s\S]*?)```/.exec(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"))![1]) as typeof first;
      assert.deepEqual([Object.keys(example), Object.keys(example.alert)], [Object.keys(first), Object.keys(first.alert)], "the README's example has the same fields");

      await runOnce();
      worker.answer("/flaky", { body: { is_success: true } });
      await runOnce();
      worker.answer("/flaky", { status: 500, body: "boom" });
      for (let i = 0; i < 3; i++) await runOnce();
      await waitFor("the second alert", posted, (p) => p.length === 2);
      const listed = await waitFor("their delivery recorded", () => viewer().cluster.listAlerts({}), (l) => l.alerts.every((a) => a.delivery === AlertDelivery.SENT));
      assert.deepEqual(
        listed.alerts.map((a) => [a.kind, a.taskId, a.taskServer, a.delivery, a.deliveryError]),
        [
          [AlertKind.TASK_FAILING, taskId, "w", AlertDelivery.SENT, ""],
          [AlertKind.TASK_FAILING, taskId, "w", AlertDelivery.SENT, ""],
        ],
        "the 4th failure in a row raised none",
      );
      assert.deepEqual(listed.settings, create(AlertSettingsSchema, { webhookConfigured: true, webhookHost: `127.0.0.1:${hooks.port}`, failingRunsInARow: 3 }));
      assert.ok(!JSON.stringify(listed, (_k, v) => (typeof v === "bigint" ? String(v) : v)).includes("secret-path"), "the webhook's URL is not shown");

      hooks.answer(HOOK, { status: 500, body: "no" });
      const dying = await new FakeTaskServer().start();
      await admin().registry.addTaskServer({ name: "fading", schema: "http", host: "127.0.0.1", port: dying.port, isEnableHealthCheck: true });
      await dying.stop();
      await waitFor("the eviction's alert", async () => (await admin().cluster.listAlerts({})).alerts[0], (a) => a.kind === AlertKind.ROUTE_EVICTED && a.delivery === AlertDelivery.FAILED);
      const eviction = (await admin().cluster.listAlerts({})).alerts[0];
      assert.deepEqual([eviction.taskServer, eviction.route, eviction.deliveryError], ["fading", `http://127.0.0.1:${dying.port}`, "the webhook answered HTTP 500"]);
      assert.equal(eviction.text, `easytask: route http://127.0.0.1:${dying.port} of task server fading was evicted after 3 failed heartbeats; it gets no callbacks until registered again`);
      assert.equal(posted().at(-1)!.alert.kind, "route_evicted");

      // A webhook that does not answer in alerts.webhook_timeout_sec.
      hooks.answer(HOOK, "hang");
      worker.answer("/flaky", { body: { is_success: true } });
      await runOnce();
      worker.answer("/flaky", { status: 500, body: "boom" });
      for (let i = 0; i < 3; i++) await runOnce();
      await waitFor("the post to time out", async () => (await admin().cluster.listAlerts({})).alerts[0], (a) => a.kind === AlertKind.TASK_FAILING && a.delivery === AlertDelivery.FAILED);
      assert.equal((await admin().cluster.listAlerts({})).alerts[0].deliveryError, "no answer within 1000 ms");
    });
  });
}

describe("alerts never hold up the scheduling (sqlite)", () => {
  let node: TestNode;
  const worker = new FakeTaskServer();
  const hooks = new FakeTaskServer();
  before(async () => {
    await worker.start();
    await hooks.start();
    node = await startTestNode("sqlite", { alerts: { webhookUrl: `http://127.0.0.1:${hooks.port}${HOOK}`, failingRunsInARow: 2, webhookTimeoutSec: 300 } });
  });
  after(async () => {
    // Does not wait for the post: stopping cuts it.
    await node.stop();
    await worker.stop();
    await hooks.stop();
  });

  test("while the webhook does not answer, runs go on firing, and one streak raises one alert", async () => {
    const api = clients(node.port);
    hooks.answer(HOOK, "hang");
    worker.answer("/fails", { status: 500, body: "" });
    await api.registry.addTaskServer({ name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
    const { taskId } = await api.tasks.addTask({ name: "fails", srvName: "w", callbackPath: "/fails", schedMode: SchedMode.INTERVAL, timeIntervalSec: 1 });
    await waitFor("the alert's post to hang", () => hooks.tasks(HOOK).length, (n) => n === 1);
    const firedThen = worker.tasks("/fails").length;
    await waitFor("three more runs", () => worker.tasks("/fails").length, (n) => n >= firedThen + 3);
    const { alerts } = await api.cluster.listAlerts({});
    assert.deepEqual(alerts.map((a) => a.delivery), [AlertDelivery.PENDING], "still posting; one alert for the streak");
    assert.equal(hooks.tasks(HOOK).length, 1);
    await api.tasks.stopTask({ taskId });
  });
});
