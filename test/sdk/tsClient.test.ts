import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  Code,
  ConnectError,
  createEasytaskClient,
  RunState,
  SchedMode,
  TaskServer,
  type EasytaskClient,
  type TaskCallbackRequest,
  type TaskContext,
  type TaskResult,
} from "../../clients/ts/src/index.js";
import { waitFor } from "../support/waitFor.js";
import { startEasytask, type Easytask } from "./support.js";

const TOKEN = "sdk-test-token-0123456789";
const oneShotNow = () => BigInt(Math.floor(Date.now() / 1000));

async function lastRun(client: EasytaskClient, taskId: bigint, state: RunState) {
  const logs = await waitFor("the run", () => client.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs[0]?.state === state);
  return logs.taskLogs[0];
}

for (const numbering of ["documented", "easytask-go"]) {
  describe(`TypeScript task server, callback_cmd_numbering ${numbering}`, () => {
    let easytask: Easytask;
    let client: EasytaskClient;
    let server: TaskServer;
    const asyncTasks: TaskCallbackRequest[] = [];

    before(async () => {
      // The server requires the token, so every call the helper makes proves it is sent.
      easytask = await startEasytask({ EASYTASK_CALLBACK_CMD_NUMBERING: numbering, EASYTASK_AUTH__TOKENS: TOKEN });
      client = createEasytaskClient({ baseUrl: easytask.url, token: TOKEN });
      server = new TaskServer({
        client,
        name: "ts-worker",
        handler: (task, { path }): TaskResult => {
          if (path === "/async") {
            asyncTasks.push(task);
            return { isRunInAsync: true };
          }
          if (path === "/fail") throw new Error(`cannot run ${task.taskName}`);
          return { isSuccess: true, extra: `ran ${task.taskName} #${task.runTimes} with ${task.arg} for ${task.bizId}` };
        },
      });
      await server.start();
    });
    after(async () => {
      await server.stop();
      await easytask.stop();
    });

    test("reads the cluster: a standalone node leads itself", async () => {
      const cluster = await client.cluster.getCluster({});
      assert.equal(cluster.isLeader, true);
      assert.notEqual(cluster.nodeId, "");
      assert.equal(cluster.leaderId, cluster.nodeId);
    });

    test("registers itself and answers heartbeats", async () => {
      const { taskServers } = await client.registry.listTaskServers({});
      const route = taskServers.find((s) => s.name === "ts-worker")?.routes[0];
      assert.equal(route?.port, server.port);
      assert.equal(route?.isEnableHealthCheck, true);
      // A route that fails heartbeats counts up failedHealthChecks and is
      // evicted; one that answers them has lastHeartbeatAt set.
      const healthy = await waitFor(
        "a heartbeat",
        async () => (await client.registry.listTaskServers({})).taskServers.find((s) => s.name === "ts-worker")?.routes[0],
        (r) => r?.lastHeartbeatAt !== undefined,
      );
      assert.equal(healthy?.failedHealthChecks, 0);
    });

    test("runs a task and records the handler's answer", async () => {
      const { taskId } = await client.tasks.addTask({ name: "sync", srvName: "ts-worker", callbackPath: "/sync", schedMode: SchedMode.AT, timeSpecAt: oneShotNow(), arg: '{"n":1}', bizId: "b1" });
      const run = await lastRun(client, taskId, RunState.SUCCEEDED);
      assert.equal(run.isSuccess, true);
      assert.equal(run.extra, 'ran sync #1 with {"n":1} for b1');
    });

    test("a handler that throws fails the run with its message", async () => {
      const { taskId } = await client.tasks.addTask({ name: "failing", srvName: "ts-worker", callbackPath: "/fail", schedMode: SchedMode.AT, timeSpecAt: oneShotNow() });
      const run = await lastRun(client, taskId, RunState.FAILED);
      assert.equal(run.extra, "cannot run failing");
    });

    test("an async run stays open until confirm", async () => {
      const { taskId } = await client.tasks.addTask({ name: "async", srvName: "ts-worker", callbackPath: "/async", schedMode: SchedMode.AT, timeSpecAt: oneShotNow() });
      await lastRun(client, taskId, RunState.ASYNC_WAITING);
      const task = asyncTasks.find((t) => t.taskId === taskId)!;
      assert.equal(task.runTimes, 1);
      await server.confirm(task, true, "confirmed later");
      const run = await lastRun(client, taskId, RunState.SUCCEEDED);
      assert.equal(run.extra, "confirmed later");
      assert.ok(run.confirmedAt);
    });
  });
}

describe("TypeScript SDK", () => {
  test("stop() unregisters the route", async () => {
    const easytask = await startEasytask();
    try {
      const client = createEasytaskClient({ baseUrl: easytask.url });
      const server = new TaskServer({ client, name: "short-lived", handler: () => ({ isSuccess: true }) });
      await server.start();
      const routes = async () => (await client.registry.listTaskServers({})).taskServers.find((s) => s.name === "short-lived")?.routes.length;
      assert.equal(await routes(), 1);
      await server.stop();
      assert.equal(await routes(), 0);
    } finally {
      await easytask.stop();
    }
  });

  test("the token is sent as a bearer authorization header; without the right one calls are unauthenticated", async () => {
    const easytask = await startEasytask({ EASYTASK_AUTH__TOKENS: TOKEN });
    try {
      const seen: (string | null)[] = [];
      const client = createEasytaskClient({
        baseUrl: easytask.url,
        token: TOKEN,
        interceptors: [(next) => (req) => (seen.push(req.header.get("authorization")), next(req))],
      });
      await client.registry.listTaskServers({});
      assert.deepEqual(seen, [`Bearer ${TOKEN}`]);
      for (const token of [undefined, "wrong-token-0123456789"]) {
        const stranger = createEasytaskClient({ baseUrl: easytask.url, ...(token && { token }) });
        const err = await stranger.cluster.getCluster({}).catch((e: unknown) => e);
        assert.ok(err instanceof ConnectError && err.code === Code.Unauthenticated, String(err));
      }
    } finally {
      await easytask.stop();
    }
  });

  test("bad settings are refused with a message that says what to do", () => {
    assert.throws(() => createEasytaskClient({ baseUrl: "ftp://127.0.0.1:8801" }), /baseUrl must be http:\/\/ or https:\/\//);
    assert.throws(() => createEasytaskClient({ baseUrl: "127.0.0.1:8801" }), /is not a URL; expected e.g. "http:\/\/127.0.0.1:8801"/);
    const client = createEasytaskClient({ baseUrl: "http://127.0.0.1:1" });
    assert.throws(() => new TaskServer({ client, name: "", handler: () => ({}) }), /needs a name/);
    assert.throws(() => new TaskServer({ client, name: "x", host: "0.0.0.0", handler: () => ({}) }), /set advertiseHost/);
  });

  test("the handler's context: the trace id from a valid traceparent, else x-easy-task-trace-id; the run id and path", async () => {
    const seen: Omit<TaskContext, "signal">[] = [];
    const server = new TaskServer({
      client: createEasytaskClient({ baseUrl: "http://127.0.0.1:1" }),
      name: "x",
      handler: (_task, { path, runId, traceId }) => (seen.push({ path, runId, traceId }), { isSuccess: true }),
    });
    const http = createServer(server.listener);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ port: (http.address() as AddressInfo).port, host: "127.0.0.1", method: "POST", path: "/reports/daily?x=1", headers }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode!));
        });
        req.on("error", reject);
        req.end('{"cmd":1,"task_id":"7","run_times":2}');
      });
    const w3c = "4bf92f3577b34da6a3ce929d0e0e4736";
    const cases: [string, string | undefined, string][] = [
      ["a valid traceparent wins", `00-${w3c}-00f067aa0ba902b7-01`, w3c],
      ["no traceparent", undefined, "legacy-trace-1"],
      ["upper case hex", `00-${w3c.toUpperCase()}-00f067aa0ba902b7-01`, "legacy-trace-1"],
      ["an all-zero trace id", `00-${"0".repeat(32)}-00f067aa0ba902b7-01`, "legacy-trace-1"],
      ["an all-zero span id", `00-${w3c}-${"0".repeat(16)}-01`, "legacy-trace-1"],
      ["version ff", `ff-${w3c}-00f067aa0ba902b7-01`, "legacy-trace-1"],
      ["version 00 with more fields", `00-${w3c}-00f067aa0ba902b7-01-more`, "legacy-trace-1"],
      ["a later version with more fields", `01-${w3c}-00f067aa0ba902b7-01-more`, w3c],
    ];
    try {
      for (const [what, traceparent, traceId] of cases) {
        const status = await post({ "x-easy-task-trace-id": "legacy-trace-1", "x-easytask-run-id": "7:2:1", ...(traceparent && { traceparent }) });
        assert.equal(status, 200, what);
        assert.deepEqual(seen.pop(), { path: "/reports/daily", runId: "7:2:1", traceId }, what);
      }
    } finally {
      http.close();
    }
  });

  test("a run killed through the API aborts the handler's signal", async () => {
    const easytask = await startEasytask();
    const client = createEasytaskClient({ baseUrl: easytask.url });
    let started!: (ctx: TaskContext) => void;
    const running = new Promise<TaskContext>((resolve) => (started = resolve));
    const server = new TaskServer({
      client,
      name: "ts-killed",
      handler: (_task, ctx) => {
        started(ctx);
        // Answers only when aborted (or after a minute, which fails the test).
        return new Promise<TaskResult>((resolve) => {
          const never = setTimeout(() => resolve({ isSuccess: true }), 60_000);
          ctx.signal.addEventListener("abort", () => (clearTimeout(never), resolve({ isSuccess: false, extra: "aborted" })));
        });
      },
    });
    try {
      await server.start();
      const { taskId } = await client.tasks.addTask({ name: "long", srvName: "ts-killed", callbackPath: "/long", schedMode: SchedMode.AT, timeSpecAt: oneShotNow() });
      const ctx = await running;
      assert.deepEqual([ctx.runId, ctx.path, ctx.signal.aborted], [`${taskId}:1:1`, "/long", false]);
      assert.notEqual(ctx.traceId, "");
      await client.tasks.killRun({ taskId, runTimes: 1 });
      await waitFor("the handler's signal to abort", () => ctx.signal.aborted, (aborted) => aborted);
      await lastRun(client, taskId, RunState.KILLED);
    } finally {
      await server.stop();
      await easytask.stop();
    }
  });

  test("start() says what failed, with the error as cause", async () => {
    const easytask = await startEasytask({ EASYTASK_AUTH__TOKENS: TOKEN });
    let busy: Server | undefined;
    try {
      const stranger = createEasytaskClient({ baseUrl: easytask.url, token: "wrong-token-0123456789" });
      const refused = new TaskServer({ client: stranger, name: "ts-refused", handler: () => ({}) });
      const err = await refused.start().catch((e: unknown) => e);
      assert.ok(err instanceof Error && err.message.startsWith("easytask: registering task server ts-refused: [unauthenticated] "), String(err));
      assert.ok(err.cause instanceof ConnectError && err.cause.code === Code.Unauthenticated);
      assert.equal(refused.port, 0, "nothing is left listening");

      busy = createServer();
      await new Promise<void>((resolve) => busy!.listen(0, "127.0.0.1", resolve));
      const port = (busy.address() as AddressInfo).port;
      const client = createEasytaskClient({ baseUrl: easytask.url, token: TOKEN });
      const clash = new TaskServer({ client, name: "ts-busy", port, handler: () => ({}) });
      const listenErr = await clash.start().catch((e: unknown) => e);
      assert.ok(listenErr instanceof Error && listenErr.message.startsWith(`easytask: listening for task server ts-busy on 127.0.0.1:${port}: listen EADDRINUSE`), String(listenErr));
    } finally {
      busy?.close();
      await easytask.stop();
    }
  });
});
