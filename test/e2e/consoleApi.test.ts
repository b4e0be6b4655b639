import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { timestampDate, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { clients, refusal, type Clients } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// The RPCs the web console is built on (and SDK users get too): schedule
// previews, the global run list, task search, stats, evictions.

for (const dialect of DIALECTS) {
  describe(`console RPCs on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const worker = new FakeTaskServer();
    const route = () => ({ name: "worker", schema: "http", host: "127.0.0.1", port: worker.port });

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect);
      api = clients(node.port);
      await api.registry.addTaskServer({ ...route(), isEnableHealthCheck: false });
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    test("PreviewSchedule: the next fire times of schedule fields and of a stored task; invalid fields are named", async () => {
      const cron = await api.tasks.previewSchedule({ schedMode: SchedMode.CRON, timeCron: "0 30 6 * * *", timeZone: "Asia/Shanghai" });
      assert.equal(cron.fireTimes.length, 5);
      for (const [i, t] of cron.fireTimes.entries()) {
        const d = timestampDate(t);
        assert.deepEqual([d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()], [22, 30, 0], "06:30 in Shanghai is 22:30 UTC");
        if (i > 0) assert.equal(timestampMs(t) - timestampMs(cron.fireTimes[i - 1]), 86_400_000);
      }
      const three = await api.tasks.previewSchedule({ schedMode: SchedMode.INTERVAL, timeIntervalSec: 60, count: 3 });
      assert.deepEqual(three.fireTimes.map((t, i) => (i ? timestampMs(t) - timestampMs(three.fireTimes[i - 1]) : 0)), [0, 60_000, 60_000]);
      const endAt = BigInt(Math.floor(timestampMs(three.fireTimes[0]) / 1000) + 150);
      assert.equal((await api.tasks.previewSchedule({ schedMode: SchedMode.INTERVAL, timeIntervalSec: 60, endAt })).fireTimes.length, 3, "end_at bounds it");
      assert.equal((await api.tasks.previewSchedule({ schedMode: SchedMode.FIXED_DELAY, timeIntervalSec: 60 })).fireTimes.length, 1);

      const bad = await refusal(api.tasks.previewSchedule({ schedMode: SchedMode.CRON, timeCron: "61 * * * *" }));
      assert.deepEqual([bad.code, bad.field], [Code.InvalidArgument, "time_cron"]);
      assert.deepEqual((await refusal(api.tasks.previewSchedule({ schedMode: SchedMode.CRON, timeCron: "* * * * *", timeZone: "Mars/Base" }))).field, "time_zone");
      assert.deepEqual((await refusal(api.tasks.previewSchedule({ schedMode: SchedMode.INTERVAL }))).field, "time_interval_sec");
      assert.deepEqual((await refusal(api.tasks.previewSchedule({}))).field, "sched_mode");
      assert.deepEqual((await refusal(api.tasks.previewSchedule({ schedMode: SchedMode.INTERVAL, timeIntervalSec: 5, count: 101 }))).field, "count");
      assert.equal((await refusal(api.tasks.previewSchedule({ taskId: 987654n }))).code, Code.NotFound);

      const { taskId } = await api.tasks.addTask({ name: "preview", srvName: "worker", schedMode: SchedMode.CRON, timeCron: "0 0 * * * *", maxRunTimes: 2 });
      const { task } = await api.tasks.getTask({ taskId });
      const stored = await api.tasks.previewSchedule({ taskId, count: 10 });
      assert.equal(stored.fireTimes.length, 2, "max_run_times leaves 2 runs");
      assert.equal(timestampMs(stored.fireTimes[0]), timestampMs(task!.nextFireAt!));
      await api.tasks.pauseTask({ taskId });
      assert.equal((await api.tasks.previewSchedule({ taskId })).fireTimes.length, 0, "a paused task does not fire");
    });

    test("ListTasks searches name and biz_id (ignoring case, % and _ taken literally) with the other filters and paging", async () => {
      const add = (name: string, bizId: string) => api.tasks.addTask({ name, bizId, srvName: "worker", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      const ids = [await add("Nightly-Report", "team-7"), await add("hourly sync", "ACME-42"), await add("cleanup", "acme-43"), await add("50%_off", "promo")].map((r) => r.taskId);
      const names = async (query: string, extra: object = {}) => (await api.tasks.listTasks({ query, ...extra })).tasks.map((t) => t.name);
      assert.deepEqual(await names("report"), ["Nightly-Report"]);
      assert.deepEqual(await names("acme"), ["hourly sync", "cleanup"]);
      assert.deepEqual(await names("%_"), ["50%_off"]);
      assert.deepEqual(await names("_"), ["50%_off"]);
      assert.deepEqual(await names("nothing-like-it"), []);
      await api.tasks.pauseTask({ taskId: ids[2] });
      assert.deepEqual(await names("acme", { state: TaskState.PAUSED }), ["cleanup"]);
      assert.deepEqual(await names("acme", { srvName: "nobody" }), []);
      const first = await api.tasks.listTasks({ query: "acme", pageSize: 1 });
      assert.deepEqual(first.tasks.map((t) => t.name), ["hourly sync"]);
      const second = await api.tasks.listTasks({ query: "acme", pageSize: 1, pageToken: first.nextPageToken });
      assert.deepEqual(second.tasks.map((t) => t.name), ["cleanup"]);
      assert.equal((await refusal(api.tasks.listTasks({ query: "x".repeat(256) }))).field, "query");
    });

    test("ListTaskLogs across tasks, filtered by task, state and start time, paged; tasks show their last run", async () => {
      worker.answer("/ok", { body: { is_success: true, extra: "fine" } });
      worker.answer("/bad", { body: { is_success: false, extra: "broken" } });
      const from = timestampFromMs(Date.now() - 1);
      const ok = (await api.tasks.addTask({ name: "runs-ok", srvName: "worker", callbackPath: "/ok", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId;
      const bad = (await api.tasks.addTask({ name: "runs-bad", srvName: "worker", callbackPath: "/bad", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId;
      for (const taskId of [ok, bad, ok]) await api.tasks.triggerTask({ taskId });
      const finished = (r: { taskLogs: { state: RunState }[] }) => r.taskLogs.length === 3 && r.taskLogs.every((l) => l.state !== RunState.PENDING && l.state !== RunState.RUNNING);
      const all = await waitFor("three finished runs", () => api.tasks.listTaskLogs({ startedFrom: from }), finished);
      assert.deepEqual(all.taskLogs.map((l) => l.taskName), ["runs-ok", "runs-bad", "runs-ok"], "newest first, with the task's name");

      const failed = await api.tasks.listTaskLogs({ state: RunState.FAILED, startedFrom: from });
      assert.deepEqual(failed.taskLogs.map((l) => [l.taskId, l.response]), [[bad, JSON.stringify({ is_success: false, extra: "broken" })]]);
      assert.deepEqual((await api.tasks.listTaskLogs({ taskId: ok, state: RunState.SUCCEEDED })).taskLogs.map((l) => l.runTimes), [2, 1]);
      assert.equal((await api.tasks.listTaskLogs({ startedBefore: from })).taskLogs.some((l) => l.taskId === ok), false);
      const later = timestampFromMs(Date.now() + 60_000);
      assert.equal((await api.tasks.listTaskLogs({ startedFrom: later })).taskLogs.length, 0);

      const page1 = await api.tasks.listTaskLogs({ startedFrom: from, pageSize: 2 });
      const page2 = await api.tasks.listTaskLogs({ startedFrom: from, pageSize: 2, pageToken: page1.nextPageToken });
      assert.deepEqual([...page1.taskLogs, ...page2.taskLogs].map((l) => l.taskLogId), all.taskLogs.map((l) => l.taskLogId));
      assert.equal(page2.nextPageToken, "");

      const badTask = (await api.tasks.getTask({ taskId: bad })).task!;
      assert.equal(badTask.lastRunState, RunState.FAILED);
      assert.ok(badTask.lastRunStartedAt);
      const listed = (await api.tasks.listTasks({ query: "runs-" })).tasks;
      assert.deepEqual(listed.map((t) => t.lastRunState), [RunState.SUCCEEDED, RunState.FAILED]);
      assert.equal((await api.tasks.getTask({ taskId: (await api.tasks.addTask({ name: "never-ran", srvName: "worker", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId })).task!.lastRunState, RunState.UNSPECIFIED);
      assert.equal((await refusal(api.tasks.listTaskLogs({ taskId: -1n }))).field, "task_id");

      const stats = await api.tasks.getStats({});
      assert.equal(stats.minutes.length, 60);
      const lastMinute = timestampMs(stats.minutes[59].minute!);
      assert.ok(lastMinute <= Date.now() && Date.now() - lastMinute < 60_000, "the current minute is last");
      const fires = stats.minutes.reduce((n, m) => n + m.fires, 0);
      assert.ok(fires >= 3, `fires ${fires}`);
      assert.equal(stats.firesLastHour, fires);
      assert.ok(stats.minutes.reduce((n, m) => n + m.failures, 0) >= 1);
      const failing = stats.failingTasks.find((f) => f.taskId === bad);
      assert.deepEqual([failing?.name, failing?.srvName, failing?.failures], ["runs-bad", "worker", 1]);
      assert.equal(stats.failingTasks.some((f) => f.taskId === ok), false);
      const tasks = await api.tasks.listTasks({ pageSize: 1000 });
      const inState = (s: TaskState) => tasks.tasks.filter((t) => t.state === s).length;
      assert.deepEqual(
        [stats.tasksScheduled, stats.tasksPaused, stats.tasksStopped, stats.tasksFinished],
        [inState(TaskState.SCHEDULED), inState(TaskState.PAUSED), inState(TaskState.STOPPED), inState(TaskState.FINISHED)],
      );
      assert.deepEqual([stats.taskServers, stats.routes], [1, 1]);
    });

    test("an evicted route stays listed with its eviction until registered again or dismissed, and gets no callbacks", async () => {
      const flaky = await new FakeTaskServer().start();
      try {
        const key = { name: "flaky", schema: "http", host: "127.0.0.1", port: flaky.port };
        await api.registry.addTaskServer({ ...key, isEnableHealthCheck: true });
        flaky.pong = { pong: false };
        const server = async () => (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "flaky")!;
        const evicted = await waitFor("the eviction", server, (s) => s.evictedRoutes.length === 1);
        assert.deepEqual(evicted.routes, []);
        assert.equal(evicted.evictedRoutes[0].port, flaky.port);
        assert.equal(evicted.evictedRoutes[0].failedHealthChecks, 3);
        assert.ok(evicted.evictedRoutes[0].evictedAt);
        // Within STATS_REUSE_MS an earlier answer may still be served.
        await waitFor("the eviction in the stats", () => api.tasks.getStats({}), (s) => s.routesEvicted === 1);
        const heartbeats = flaky.heartbeats().length;
        const { taskId } = await api.tasks.addTask({ name: "to-flaky", srvName: "flaky", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
        await api.tasks.triggerTask({ taskId });
        const [run] = (await waitFor("the run", () => api.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs[0]?.state === RunState.FAILED)).taskLogs;
        assert.match(run.error, /route/);
        assert.equal(flaky.tasks().length, 0, "an evicted route gets no callbacks");
        assert.ok(flaky.heartbeats().length - heartbeats <= 1, "nor heartbeats");

        flaky.pong = { pong: true };
        await api.registry.addTaskServer({ ...key, isEnableHealthCheck: true });
        const back = await server();
        assert.deepEqual([back.routes.length, back.evictedRoutes.length], [1, 0], "registering it again ends the eviction");

        flaky.pong = { pong: false };
        await waitFor("the second eviction", server, (s) => s.evictedRoutes.length === 1);
        await api.registry.delTaskServer(key);
        assert.deepEqual((await server()).evictedRoutes, [], "DelTaskServer dismisses it");
        assert.equal((await refusal(api.registry.delTaskServer(key))).code, Code.NotFound);
      } finally {
        await flaky.stop();
      }
    });
  });
}
