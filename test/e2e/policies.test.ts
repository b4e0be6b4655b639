import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { MisfirePolicy, OverlapPolicy, RouteStrategy, RunState, SchedMode, TaskState, type AddTaskRequest } from "../../gen/easytask/v1/task_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AddTaskRequestSchema } from "../../gen/easytask/v1/task_pb.js";
import { clients, type Clients } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { TestClock } from "../support/testClock.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// The node runs on a clock the test moves: a wait of "2 s" is 2 s of the
// node's time, passed in steps, each once every loop of the leader has done
// its pass (scheduler, health checks, sweeper, retention), so what must not
// happen had its chance to, and nothing sleeps on wall time.
const LEADER_LOOPS = 4;
const STEP_MS = 100;

function nodeTime(clock: TestClock) {
  const step = async () => {
    await clock.advance(STEP_MS);
    await clock.untilSleeping(LEADER_LOOPS);
    // Lets callbacks and answers already under way over loopback land.
    await new Promise((r) => setTimeout(r, 2));
  };
  return {
    // Passes ms of the node's time.
    async pass(ms: number): Promise<void> {
      for (let t = 0; t < ms; t += STEP_MS) await step();
    },
    // Moves the node's time on until probe's value is done, for at most maxMs of it.
    async until<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, maxMs = 60_000): Promise<T> {
      for (let t = 0; ; t += STEP_MS) {
        const value = await probe();
        if (done(value)) return value;
        if (t >= maxMs) throw new Error(`${what}: not within ${maxMs} ms of the node's time (last: ${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v))})`);
        await step();
      }
    },
    // Stops the node, moving its time on so draining callbacks can end.
    async stop(node: TestNode): Promise<void> {
      let stopped = false;
      const stopping = node.stop().finally(() => (stopped = true));
      while (!stopped) await clock.advance(STEP_MS);
      await stopping;
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`scheduling policies and control RPCs on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const clock = new TestClock(Date.now());
    const time = nodeTime(clock);
    const a = new FakeTaskServer();
    const b = new FakeTaskServer();
    let n = 0;
    const add = async (path: string, fields: Omit<MessageInitShape<typeof AddTaskRequestSchema>, "$typeName">) => {
      const { taskId } = await api.tasks.addTask({ name: `${path}-${++n}`, srvName: "pair", callbackPath: path, schedMode: SchedMode.INTERVAL, timeIntervalSec: 1, ...fields });
      return taskId;
    };
    const logs = async (taskId: bigint) => (await api.tasks.listTaskLogs({ taskId })).taskLogs.reverse();
    const both = (path: string) => [...a.tasks(path), ...b.tasks(path)].sort((x, y) => x.at - y.at);

    before(async () => {
      await a.start();
      await b.start();
      node = await startTestNode(dialect, {}, { clock });
      await clock.untilSleeping(LEADER_LOOPS);
      api = clients(node.port);
      await api.registry.addTaskServer({ name: "single", schema: "http", host: "127.0.0.1", port: a.port });
      for (const s of [a, b]) await api.registry.addTaskServer({ name: "pair", schema: "http", host: "127.0.0.1", port: s.port });
    });
    after(async () => {
      await time.stop(node);
      await a.stop();
      await b.stop();
    });

    test("fixed delay: the next run is due one delay after the previous one was confirmed", async () => {
      a.answer("/delay", { body: { is_run_in_async: true } });
      b.answer("/delay", { body: { is_run_in_async: true } });
      const taskId = await add("/delay", { schedMode: SchedMode.FIXED_DELAY, timeIntervalSec: 1 });
      await time.until("the first run", () => both("/delay"), (c) => c.length === 1);
      await time.pass(1500);
      assert.equal(both("/delay").length, 1, "no run while the previous one waits for its confirmation");
      const confirmedAt = clock.now();
      await api.tasks.confirmTask({ taskId, taskRunTimes: 1, isSuccess: true });
      const [, second] = await time.until("the second run", () => logs(taskId), (l) => l.length === 2);
      const startedAt = Number(second.startedAt!.seconds) * 1000 + Math.floor(second.startedAt!.nanos / 1e6);
      assert.ok(startedAt - confirmedAt >= 1000, `due one delay after the confirmation, started after ${startedAt - confirmedAt} ms`);
      assert.ok(startedAt - confirmedAt < 1000 + 2 * STEP_MS, `and not much later: ${startedAt - confirmedAt} ms`);
      assert.equal(second.runTimes, 2);
      await api.tasks.stopTask({ taskId });
    });

    test("retries: each attempt is a run log row, the callback carries the attempt, then the run succeeds", async () => {
      let calls = 0;
      a.answer("/flaky", { status: 500, body: "boom" });
      const taskId = await add("/flaky", { srvName: "single", schedMode: SchedMode.AT, timeSpecAt: 1n, maxRetries: 3, retryBackoff: { initialSec: 1, multiplier: 1 } });
      await time.until("two failed attempts", () => a.tasks("/flaky"), (c) => (calls = c.length) >= 2);
      a.answer("/flaky", { body: { is_success: true } });
      const attempts = await time.until("the attempt that succeeds", () => logs(taskId), (l) => l.some((r) => r.state === RunState.SUCCEEDED));
      assert.ok(calls >= 2);
      assert.deepEqual(attempts.map((r) => [r.runTimes, r.attempt, r.state]).slice(0, 2), [
        [1, 1, RunState.FAILED],
        [1, 2, RunState.FAILED],
      ]);
      assert.equal(attempts.at(-1)?.state, RunState.SUCCEEDED);
      const received = a.tasks("/flaky");
      assert.equal(received[0].body.attempt, undefined, "a first attempt looks like the original's body");
      assert.equal(received[1].body.attempt, 2);
      assert.equal(received[1].headers["x-easytask-run-id"], `${taskId}:1:2`);
      assert.equal(attempts.at(-1)?.attempt, received.length);
    });

    test("an async run not confirmed within max_run_time_sec times out; a late confirmation is recorded, not revived", async () => {
      a.answer("/slow-async", { body: { is_run_in_async: true } });
      const taskId = await add("/slow-async", { srvName: "single", schedMode: SchedMode.AT, timeSpecAt: 1n, maxRunTimeSec: 1 });
      const [run] = await time.until("the timeout", () => logs(taskId), (l) => l[0]?.state === RunState.TIMEOUT);
      assert.match(run.error, /not confirmed/);
      await api.tasks.confirmTask({ taskId, taskRunTimes: 1, isSuccess: true, extra: "too late" });
      const [late] = await logs(taskId);
      assert.equal(late.state, RunState.TIMEOUT);
      assert.equal(late.extra, "too late");
      assert.ok(late.confirmedAt);
    });

    test("a sync callback is cut after max_run_time_sec and recorded TIMEOUT", async () => {
      a.answer("/hang", "hang");
      const taskId = await add("/hang", { srvName: "single", schedMode: SchedMode.AT, timeSpecAt: 1n, maxRunTimeSec: 1 });
      const [run] = await time.until("the timeout", () => logs(taskId), (l) => l[0]?.state === RunState.TIMEOUT);
      assert.match(run.error, /timed out after 1000 ms/);
    });

    test("pause stops firing, resume starts again, trigger fires at once, delete removes the task", async () => {
      const taskId = await add("/control", { srvName: "single", timeIntervalSec: 1 });
      await time.until("a run", () => a.tasks("/control"), (c) => c.length >= 1);
      await api.tasks.pauseTask({ taskId });
      assert.equal((await api.tasks.getTask({ taskId })).task?.state, TaskState.PAUSED);
      const paused = a.tasks("/control").length;
      await time.pass(2200);
      assert.ok(a.tasks("/control").length <= paused + 1, "at most the run already claimed when paused");
      const afterPause = a.tasks("/control").length;
      await api.tasks.resumeTask({ taskId });
      await time.until("runs after resume", () => a.tasks("/control"), (c) => c.length >= afterPause + 1);
      await api.tasks.stopTask({ taskId });
      const before = a.tasks("/control").length;
      const triggered = await api.tasks.triggerTask({ taskId }).catch((e: unknown) => e);
      assert.ok(triggered instanceof ConnectError && triggered.code === Code.FailedPrecondition, "a stopped task is not triggered");
      await api.tasks.resumeTask({ taskId });
      await api.tasks.addTask({ name: `/control-${n}`, srvName: "single", callbackPath: "/control", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const { runTimes } = await api.tasks.triggerTask({ taskId });
      const got = await time.until("the triggered run", () => a.tasks("/control"), (c) => c.some((r) => r.body.run_times === runTimes));
      assert.ok(got.length > before);
      await api.tasks.deleteTask({ taskId });
      const gone = await api.tasks.getTask({ taskId }).catch((e: unknown) => e);
      assert.ok(gone instanceof ConnectError && gone.code === Code.NotFound);
    });

    test("KillRun cuts a callback in flight and records the run KILLED", async () => {
      a.answer("/killme", "hang");
      const taskId = await add("/killme", { srvName: "single", schedMode: SchedMode.AT, timeSpecAt: 1n });
      await time.until("the callback in flight", () => a.tasks("/killme"), (c) => c.length === 1);
      await api.tasks.killRun({ taskId, runTimes: 1 });
      const [run] = await logs(taskId);
      assert.equal(run.state, RunState.KILLED);
      const again = await api.tasks.killRun({ taskId, runTimes: 1 }).catch((e: unknown) => e);
      assert.ok(again instanceof ConnectError && again.code === Code.FailedPrecondition);
    });

    test("max_run_times finishes the task after that many runs", async () => {
      const taskId = await add("/twice", { srvName: "single", maxRunTimes: 2 });
      await time.until("the task to finish", async () => (await api.tasks.getTask({ taskId })).task?.state, (s) => s === TaskState.FINISHED);
      await time.pass(1200);
      assert.deepEqual(a.tasks("/twice").map((c) => c.body.run_times), [1, 2]);
    });

    test("overlap SKIP: no run while the previous one is open", async () => {
      a.answer("/overlap", { body: { is_run_in_async: true } });
      const taskId = await add("/overlap", { srvName: "single", overlapPolicy: OverlapPolicy.SKIP });
      await time.until("the first run", () => a.tasks("/overlap"), (c) => c.length === 1);
      await time.pass(2200);
      assert.equal(a.tasks("/overlap").length, 1);
      await api.tasks.confirmTask({ taskId, taskRunTimes: 1, isSuccess: true });
      await time.until("the next run", () => a.tasks("/overlap"), (c) => c.length === 2);
      await api.tasks.stopTask({ taskId });
    });

    test("broadcast calls every route with its shard, and the run succeeds when all do", async () => {
      const taskId = await add("/all", { schedMode: SchedMode.AT, timeSpecAt: 1n, routeStrategy: RouteStrategy.BROADCAST });
      const [run] = await time.until("the run", () => logs(taskId), (l) => l[0]?.state === RunState.SUCCEEDED);
      const shards = [...a.tasks("/all"), ...b.tasks("/all")].map((c) => [c.body.shard_index, c.body.shard_total]).sort();
      assert.deepEqual(shards, [
        [0, 2],
        [1, 2],
      ]);
      assert.equal(run.route.split(",").length, 2);
    });

    test("consistent hash sends one biz_id to one route; round robin alternates", async () => {
      const hashed = await add("/hash", { bizId: "customer-42", routeStrategy: RouteStrategy.CONSISTENT_HASH });
      await time.until("three runs", () => both("/hash"), (c) => c.length >= 3);
      await api.tasks.stopTask({ taskId: hashed });
      assert.ok(a.tasks("/hash").length === 0 || b.tasks("/hash").length === 0, "all runs on one route");
      const rr = await add("/rr", { routeStrategy: RouteStrategy.ROUND_ROBIN });
      await time.until("four runs", () => both("/rr"), (c) => c.length >= 4);
      await api.tasks.stopTask({ taskId: rr });
      const ports = both("/rr").slice(0, 4).map((c) => (a.tasks("/rr").includes(c) ? "a" : "b"));
      assert.notEqual(ports[0], ports[1]);
      assert.equal(ports[0], ports[2]);
    });

    test("failover moves on from a route that cannot be reached", async () => {
      await api.registry.addTaskServer({ name: "half-dead", schema: "http", host: "127.0.0.1", port: 9 });
      await api.registry.addTaskServer({ name: "half-dead", schema: "http", host: "127.0.0.1", port: a.port });
      const taskId = await api.tasks.addTask({ name: "fo", srvName: "half-dead", callbackPath: "/fo", schedMode: SchedMode.INTERVAL, timeIntervalSec: 1, routeStrategy: RouteStrategy.FAILOVER });
      await time.until("three runs", () => a.tasks("/fo"), (c) => c.length >= 3);
      await api.tasks.stopTask({ taskId: taskId.taskId });
      const runs = (await logs(taskId.taskId)).filter((r) => r.state !== RunState.ABORTED);
      assert.ok(runs.slice(0, 3).every((r) => r.state === RunState.SUCCEEDED), "every run reached the live route");
    });

    test("time zone, misfire policy and bounds are stored and shape the schedule", async () => {
      const start = Math.floor(Date.now() / 1000) + 3600;
      const taskId = await add("/tz", {
        schedMode: SchedMode.CRON,
        timeCron: "0 0 9 * * *",
        timeZone: "Asia/Shanghai",
        misfirePolicy: MisfirePolicy.SKIP,
        startAt: BigInt(start),
      });
      const { task } = await api.tasks.getTask({ taskId });
      const next = new Date(Number(task!.nextFireAt!.seconds) * 1000);
      assert.equal(next.getUTCHours(), 1, "09:00 in Shanghai is 01:00 UTC");
      assert.ok(next.getTime() >= start * 1000);
      assert.equal(task?.timeZone, "Asia/Shanghai");
      assert.equal(task?.misfirePolicy, MisfirePolicy.SKIP);
      const bad = await add("/tz", { timeZone: "Mars/Olympus" } as Partial<AddTaskRequest>).catch((e: unknown) => e);
      assert.ok(bad instanceof ConnectError && bad.code === Code.InvalidArgument && bad.rawMessage.includes("time_zone"));
    });

    test("GetTask and ListTasks show the policies in effect: unset ones as their defaults", async () => {
      const unset = await add("/defaults", {});
      const set = await add("/defaults", {
        misfirePolicy: MisfirePolicy.FIRE_ALL,
        misfireMaxCatchUp: 3,
        overlapPolicy: OverlapPolicy.QUEUE_ONE,
        retryBackoff: { initialSec: 5, multiplier: 1.5, maxSec: 60 },
        routeStrategy: RouteStrategy.FAILOVER,
      });
      const policies = (t: Awaited<ReturnType<typeof api.tasks.getTask>>["task"]) => ({
        misfire: t!.misfirePolicy,
        catchUp: t!.misfireMaxCatchUp,
        overlap: t!.overlapPolicy,
        backoff: [t!.retryBackoff!.initialSec, t!.retryBackoff!.multiplier, t!.retryBackoff!.maxSec],
        route: t!.routeStrategy,
      });
      assert.deepEqual(policies((await api.tasks.getTask({ taskId: unset })).task), {
        misfire: MisfirePolicy.FIRE_ONCE,
        catchUp: 10,
        overlap: OverlapPolicy.ALLOW,
        backoff: [1, 2, 3600],
        route: RouteStrategy.RANDOM,
      });
      assert.deepEqual(policies((await api.tasks.getTask({ taskId: set })).task), {
        misfire: MisfirePolicy.FIRE_ALL,
        catchUp: 3,
        overlap: OverlapPolicy.QUEUE_ONE,
        backoff: [5, 1.5, 60],
        route: RouteStrategy.FAILOVER,
      });
      const listed = (await api.tasks.listTasks({ query: "/defaults" })).tasks.find((t) => t.taskId === unset);
      assert.deepEqual(policies(listed), policies((await api.tasks.getTask({ taskId: unset })).task));
    });
  });
}

describe("a slow task server cannot starve the others", () => {
  test("with every callback to one server hanging, another server's runs still fire", async () => {
    const slow = await new FakeTaskServer().start();
    const fast = await new FakeTaskServer().start();
    const node = await startTestNode("sqlite", { taskWorkerPoolSize: 5 });
    try {
      const api = clients(node.port);
      slow.answer("/slow", "hang");
      await api.registry.addTaskServer({ name: "slow", schema: "http", host: "127.0.0.1", port: slow.port, callbackTimeoutSec: 60 });
      await api.registry.addTaskServer({ name: "fast", schema: "http", host: "127.0.0.1", port: fast.port });
      for (let i = 0; i < 8; i++) await api.tasks.addTask({ name: `slow${i}`, srvName: "slow", callbackPath: "/slow", schedMode: SchedMode.INTERVAL, timeIntervalSec: 1 });
      await waitFor("the slow server to hold its share of the pool", () => slow.tasks("/slow"), (c) => c.length >= 4);
      await api.tasks.addTask({ name: "fast", srvName: "fast", callbackPath: "/fast", schedMode: SchedMode.INTERVAL, timeIntervalSec: 1 });
      await waitFor("runs on the fast server", () => fast.tasks("/fast"), (c) => c.length >= 2);
      assert.equal(slow.tasks("/slow").length, 4, "4 of the 5 slots at most for one task server");
    } finally {
      await node.stop();
      await slow.stop();
      await fast.stop();
    }
  });
});
