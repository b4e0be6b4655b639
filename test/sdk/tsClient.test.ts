import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  createEasytaskClient,
  RunState,
  SchedMode,
  TaskServer,
  type EasytaskClient,
  type TaskCallbackRequest,
  type TaskResult,
} from "../../clients/ts/src/index.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { waitFor } from "../support/waitFor.js";
import { readmeExample, ROOT, run, startEasytask, transcript, type Easytask } from "./support.js";

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

  test("the package packs with its generated code and types, and the README example runs", async () => {
    const pkg = join(ROOT, "clients/ts");
    const packed = await run("npm", ["pack", "--dry-run", "--json"], { cwd: pkg });
    assert.equal(packed.code, 0, transcript("npm pack", packed));
    const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    for (const file of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/taskServer.d.ts", "dist/gen/easytask/v1/task_pb.js", "dist/gen/easytask/v1/task_pb.d.ts"]) {
      assert.ok(files.includes(file), `${file} is not in the package: ${files.join(" ")}`);
    }
    assert.ok(!files.some((f) => f.startsWith("src/")), "sources are not published");

    const easytask = await startEasytask();
    const dir = mkdtempSync(join(tmpdir(), "easytask-ts-example-"));
    try {
      mkdirSync(join(dir, "node_modules/@easytask"), { recursive: true });
      symlinkSync(pkg, join(dir, "node_modules/@easytask/client"));
      writeFileSync(join(dir, "example.mjs"), readmeExample("clients/ts/README.md", "js"));
      const example = await run(process.execPath, ["example.mjs"], { cwd: dir, env: { EASYTASK_URL: easytask.url } });
      assert.equal(example.code, 0, transcript("the README example", example));
      assert.equal(example.stdout, 'run 1 of daily-report with {"team":7}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await easytask.stop();
    }
  });
});
