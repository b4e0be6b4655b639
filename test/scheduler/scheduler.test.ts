import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { silentLogger } from "../../src/log.js";
import type { ClaimedRun } from "../../src/scheduler/dispatcher.js";
import { Scheduler, type SchedulerClock } from "../../src/scheduler/scheduler.js";
import { openStore, type Store } from "../../src/store/openStore.js";
import { findTaskServerId, upsertRoute, type RouteRow } from "../../src/store/taskServers.js";
import { claimRun, findDueTasks, getTask, stopTask, upsertTask, WHOLE_RANGE, type TaskFields } from "../../src/store/tasks.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";

after(stopSharedMariaDb);

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

// A clock the test moves by hand; sleeping records the wish and returns.
class ManualClock implements SchedulerClock {
  sleeps: number[] = [];
  constructor(public t: number) {}
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
  };
}

class RecordingSink {
  runs: ClaimedRun[] = [];
  constructor(public free = 1000) {}
  dispatch(run: ClaimedRun, _routes: RouteRow[]) {
    this.runs.push(run);
  }
}

for (const dialect of DIALECTS) {
  describe(`scheduler on ${dialect}`, () => {
    const setup = async () => {
      const { store: config } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      await upsertRoute(store, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, T0);
      const taskServerId = (await findTaskServerId(store, "w"))!;
      const clock = new ManualClock(T0);
      const sink = new RecordingSink();
      const scheduler = (s: Store = store, k = sink) =>
        new Scheduler({ db: s, clock, sink: k, shard: WHOLE_RANGE, pollMs: 1000, batchSize: 100, log: silentLogger });
      const interval = (name: string, extra: Partial<TaskFields> = {}): TaskFields => ({
        name,
        bizId: "",
        taskServerId,
        callbackPath: "/run",
        schedMode: SchedMode.INTERVAL,
        timeCron: "",
        timeIntervalSec: 5,
        timeSpecAt: 0,
        arg: "",
        nextFireAt: T0,
        ...extra,
      });
      return { store, config, clock, sink, scheduler, interval };
    };

    test("a due task is claimed once per slot and follows its fixed-rate grid", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("grid"), T0);
      const s = scheduler();
      assert.equal(await s.tick(), 1);
      assert.equal(await s.tick(), 0, "the same slot is not fired twice");
      assert.equal((await getTask(store, id))?.next_fire_at, T0 + 5000);
      clock.t = T0 + 5000;
      assert.equal(await s.tick(), 1);
      assert.deepEqual(sink.runs.map((r) => r.runTimes), [1, 2]);
      await store.close();
    });

    test("a task missed while the scheduler was down fires once, then resumes on its grid", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("missed"), T0);
      clock.t = T0 + 17_500;
      const s = scheduler();
      assert.equal(await s.tick(), 1);
      assert.equal(await s.tick(), 0);
      assert.equal(sink.runs.length, 1);
      assert.equal((await getTask(store, id))?.next_fire_at, T0 + 20_000);
      await store.close();
    });

    test("a one-shot task fires once and is finished", async () => {
      const { store, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("once", { schedMode: SchedMode.AT, timeIntervalSec: 0, timeSpecAt: T0 / 1000 }), T0);
      const s = scheduler();
      assert.equal(await s.tick(), 1);
      assert.equal(await s.tick(), 0);
      const task = await getTask(store, id);
      assert.equal(task?.state, TaskState.FINISHED);
      assert.equal(task?.next_fire_at, null);
      assert.equal(sink.runs.length, 1);
      await store.close();
    });

    test("a task changed after it was read never fires with its old settings", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      await upsertTask(store, interval("changed", { arg: "old" }), T0);
      const [stale] = await findDueTasks(store, clock.t, WHOLE_RANGE, 10);
      await upsertTask(store, interval("changed", { arg: "new" }), T0);
      assert.equal(await claimRun(store, stale, T0 + 5000, WHOLE_RANGE, clock.t), undefined);
      assert.equal(await scheduler().tick(), 1);
      assert.equal(sink.runs[0].task.arg, "new");
      await store.close();
    });

    test("a task stopped after it was read never fires", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("stopped"), T0);
      const [stale] = await findDueTasks(store, clock.t, WHOLE_RANGE, 10);
      await stopTask(store, id, T0);
      assert.equal(await claimRun(store, stale, T0 + 5000, WHOLE_RANGE, clock.t), undefined);
      assert.equal(await scheduler().tick(), 0);
      assert.equal(sink.runs.length, 0);
      await store.close();
    });

    test("two schedulers on one database never claim the same run", async () => {
      const { store, config, clock, scheduler, interval } = await setup();
      // better-sqlite3 is synchronous: a second connection in this process
      // would block the thread the first one needs to finish. Two SQLite
      // processes are covered by the CLI test; here they share the handle.
      const other = config.kind === "sqlite" ? store : await openStore({ kind: "mysql", url: config.url });
      for (let i = 0; i < 40; i++) await upsertTask(store, interval(`race${i}`), T0);
      const a = new RecordingSink();
      const b = new RecordingSink();
      const schedulers = [scheduler(store, a), scheduler(other, b), scheduler(store, a), scheduler(other, b)];
      for (let slot = 0; slot < 4; slot++) {
        clock.t = T0 + slot * 5000;
        await Promise.all(schedulers.map((s) => s.tick()));
      }
      const runs = [...a.runs, ...b.runs].map((r) => `${r.task.id}:${r.runTimes}`);
      assert.equal(runs.length, 40 * 4, "every slot of every task fired");
      assert.equal(new Set(runs).size, runs.length, "no run fired twice");
      assert.ok(a.runs.length > 0 || b.runs.length > 0);
      if (other !== store) await other.close();
      await store.close();
    });

    test("claims stop at the free callback slots", async () => {
      const { store, scheduler, interval } = await setup();
      for (let i = 0; i < 5; i++) await upsertTask(store, interval(`pool${i}`), T0);
      const sink = new RecordingSink(2);
      assert.equal(await scheduler(store, sink).tick(), 2);
      sink.free = 0;
      assert.equal(await scheduler(store, sink).tick(), 0);
      await store.close();
    });

    test("the loop sleeps until the next due run, never longer than the poll interval", async () => {
      const { store, clock, scheduler, interval } = await setup();
      await upsertTask(store, interval("soon", { nextFireAt: T0 + 300 }), T0);
      const s = scheduler();
      const stop = new AbortController();
      clock.sleep = async (ms: number) => {
        clock.sleeps.push(ms);
        if (clock.sleeps.length === 1) clock.t += ms;
        else stop.abort();
      };
      await s.run(stop.signal);
      assert.equal(clock.sleeps[0], 300);
      // After firing at T0+300 the next run is 5 s away: capped by the poll interval.
      assert.equal(clock.sleeps[1], 1000);
      await store.close();
    });
  });
}
