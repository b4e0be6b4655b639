import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { silentLogger } from "../../src/log/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import type { Run } from "../../src/engine/dispatcher.js";
import { Scheduler } from "../../src/engine/scheduler.js";
import { sweepOnce } from "../../src/engine/sweeper.js";
import { pendingRow } from "../../src/store/taskLogs.js";
import { claimSlots } from "../../src/store/claims.js";
import { planSlot } from "../../src/policy/planSlot.js";
import { openStore, type Store } from "../../src/store/openStore.js";
import { findTaskServerId, upsertRoute, type RouteRow } from "../../src/store/taskServers.js";
import { getTask, setTaskState, upsertTask, type TaskFields } from "../../src/store/tasks.js";
import { ShardSet } from "../../src/engine/shardSet.js";
import { shardOfTask } from "../../src/policy/shards.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";
import { TestClock } from "../support/testClock.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

// A clock the test moves by hand; sleeping records the wish and returns,
// as the test makes each pass itself.
class ManualClock extends TestClock {
  override sleep = async (ms: number) => {
    this.sleeps.push(ms);
  };
}

class RecordingSink {
  runs: Run[] = [];
  aborted: number[] = [];
  constructor(public free = 1000) {}
  freeFor(_taskServerId: number) {
    return this.free;
  }
  dispatch(run: Run, _routes: RouteRow[]) {
    this.runs.push(run);
  }
  abortTask(taskId: number) {
    this.aborted.push(taskId);
  }
  onSlotFreed() {}
}

// One pass as the loop makes it: read the database, then fire what is due.
const pass = async (s: Scheduler) => {
  await s.refresh();
  return s.fireDue();
};

for (const dialect of DIALECTS) {
  describe(`scheduler on ${dialect}`, () => {
    const setup = async () => {
      const { store: config } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      await upsertRoute(store, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, T0, 256);
      const taskServerId = (await findTaskServerId(store, "w"))!;
      const clock = new ManualClock(T0);
      const sink = new RecordingSink();
      const scheduler = (s: Store = store, k = sink, shards = ShardSet.all(64)) =>
        new Scheduler({ db: s, clock, sink: k, shards, timing: { lookaheadMs: 6000, pollMs: 1000, rescanMs: 30_000, claimGapMs: 0 }, log: silentLogger });
      const interval = (name: string, extra: Partial<TaskFields> = {}): TaskFields => ({
        name,
        biz_id: "",
        task_server_id: taskServerId,
        callback_path: "/run",
        sched_mode: SchedMode.INTERVAL,
        time_cron: "",
        time_interval_sec: 5,
        time_spec_at: 0,
        arg: "",
        next_fire_at: T0,
        ...extra,
      });
      return { store, config, clock, sink, scheduler, interval };
    };

    test("a due task is claimed once per slot and follows its fixed-rate grid", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("grid"), T0);
      const s = scheduler();
      assert.equal(await pass(s), 1);
      assert.equal(await pass(s), 0, "the same slot is not fired twice");
      assert.equal((await getTask(store, id))?.next_fire_at, T0 + 5000);
      clock.t = T0 + 5000;
      // The claim put the next slot in the timers: no read needed to fire it.
      assert.equal(await s.fireDue(), 1);
      assert.deepEqual(sink.runs.map((r) => r.runTimes), [1, 2]);
      await store.close();
    });

    test("a task missed while the scheduler was down fires once, then resumes on its grid", async () => {
      const { store, clock, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("missed"), T0);
      clock.t = T0 + 17_500;
      const s = scheduler();
      assert.equal(await pass(s), 1);
      assert.equal(await pass(s), 0);
      assert.equal(sink.runs.length, 1);
      assert.equal((await getTask(store, id))?.next_fire_at, T0 + 20_000);
      await store.close();
    });

    test("a one-shot task fires once and is finished", async () => {
      const { store, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("once", { sched_mode: SchedMode.AT, time_interval_sec: 0, time_spec_at: T0 / 1000 }), T0);
      const s = scheduler();
      assert.equal(await pass(s), 1);
      assert.equal(await pass(s), 0);
      const task = await getTask(store, id);
      assert.equal(task?.state, TaskState.FINISHED);
      assert.equal(task?.next_fire_at, null);
      assert.equal(sink.runs.length, 1);
      await store.close();
    });

    test("a task changed after it was read never fires with its old settings", async () => {
      const { store, sink, scheduler, interval } = await setup();
      await upsertTask(store, interval("changed", { arg: "old" }), T0);
      const s = scheduler();
      await s.refresh();
      await upsertTask(store, interval("changed", { arg: "new" }), T0);
      assert.equal(await s.fireDue(), 0, "the claim of the row read before the change fails");
      assert.equal(await pass(s), 1);
      assert.equal(sink.runs[0].task.arg, "new");
      await store.close();
    });

    test("a shard lost leaves the timers at once and is not claimed, even from an old read; one gained is read at the next pass", async () => {
      const { store, sink, scheduler, interval } = await setup();
      const shards = new ShardSet(2);
      shards.set([0, 1]);
      // Ids in order: one in each of the 2 shards.
      const b = await upsertTask(store, interval("shard-1"), T0);
      const a = await upsertTask(store, interval("shard-0"), T0);
      assert.deepEqual([shardOfTask(a, 2), shardOfTask(b, 2)], [0, 1]);
      const s = scheduler(store, sink, shards);
      await s.refresh();
      shards.set([0]);
      assert.equal(await s.fireDue(), 1);
      assert.deepEqual(sink.runs.map((r) => r.task.id), [a]);
      const row = (await getTask(store, b))!;
      assert.deepEqual(await claimSlots(store, [row], (t) => planSlot(t, T0, false), () => T0 + 1000, shards.filter(), T0), [], "the claim itself refuses a task of a shard not led");
      assert.equal((await getTask(store, b))?.next_fire_at, T0, "nothing was claimed for the lost shard");
      shards.set([0, 1]);
      assert.equal(await pass(s), 1);
      assert.deepEqual(sink.runs.map((r) => r.task.id), [a, b]);
      await store.close();
    });

    test("a task stopped after it was read never fires", async () => {
      const { store, sink, scheduler, interval } = await setup();
      const id = await upsertTask(store, interval("stopped"), T0);
      const s = scheduler();
      await s.refresh();
      await setTaskState(store, id, [TaskState.SCHEDULED], TaskState.STOPPED, null, T0);
      assert.equal(await s.fireDue(), 0);
      assert.equal(await pass(s), 0);
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
        await Promise.all(schedulers.map((s) => pass(s)));
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
      const s = scheduler(store, sink);
      assert.equal(await pass(s), 2);
      sink.free = 0;
      assert.equal(await pass(s), 0);
      sink.free = 10;
      assert.equal(await s.fireDue(), 3, "the runs left due fire once slots are free");
      await store.close();
    });

    test("a task server out of callback slots waits while the others' runs fire", async () => {
      const { store, interval, scheduler } = await setup();
      await upsertRoute(store, { name: "slow", schema: "http", host: "127.0.0.1", port: 10, callbackTimeoutSec: 5, isEnableHealthCheck: false }, T0, 256);
      const slowId = (await findTaskServerId(store, "slow"))!;
      for (let i = 0; i < 3; i++) await upsertTask(store, interval(`slow${i}`, { task_server_id: slowId }), T0);
      await upsertTask(store, interval("fast"), T0);
      const sink = new RecordingSink(10);
      sink.freeFor = (serverId: number) => (serverId === slowId ? 0 : 10);
      const s = scheduler(store, sink);
      assert.equal(await pass(s), 1);
      assert.deepEqual(sink.runs.map((r) => r.task.name), ["fast"]);
      sink.freeFor = () => 10;
      assert.equal(await s.fireDue(), 3, "the waiting runs fire once their server has slots");
      await store.close();
    });

    test("the sweeper times out a run its dead scheduler left open, and the retry policy applies", async () => {
      const { store, clock, interval } = await setup();
      const id = await upsertTask(store, interval("orphan", { max_retries: 1 }), T0);
      await store.kysely
        .insertInto("task_log")
        .values({ ...pendingRow(id, 1, 1, T0), state: RunState.RUNNING, deadline_at: T0 + 10_000 })
        .execute();
      const metrics = new Metrics(store, silentLogger, 64);
      store.runEnds.watch((ends) => metrics.runsEnded(ends));
      const deps = { db: store, clock, shards: ShardSet.all(64), log: silentLogger, metrics, dispatcher: { isInFlight: () => false, reconcile: async () => {} } };
      clock.t = T0 + 9_999;
      assert.equal(await sweepOnce(deps), 0, "not before its deadline");
      clock.t = T0 + 10_000;
      assert.equal(await sweepOnce(deps), 1);
      const rows = await store.kysely.selectFrom("task_log").selectAll().where("task_id", "=", id).orderBy("attempt").execute();
      assert.deepEqual(rows.map((r) => [r.attempt, r.state]), [
        [1, RunState.TIMEOUT],
        [2, RunState.PENDING],
      ]);
      assert.match(rows[0].error, /no answer recorded/);
      assert.equal(rows[1].due_at, T0 + 10_000 + 1000, "the retry waits its backoff");
      await waitFor("the timeout counted", () => metrics.registry.getSingleMetricAsString("easytask_runs_total"), (text) => text.includes('easytask_runs_total{task_server="w",result="timeout"} 1'));
      const inFlight = { ...deps, dispatcher: { isInFlight: () => true, reconcile: async () => {} } };
      await store.kysely.updateTable("task_log").set({ state: RunState.RUNNING, deadline_at: T0 }).where("attempt", "=", 2).execute();
      assert.equal(await sweepOnce(inFlight), 0, "a callback still in flight here is left to its own timeout");
      await store.close();
    });

    test("the loop sleeps until the next due run, never longer than the poll interval", async () => {
      const { store, clock, scheduler, interval } = await setup();
      await upsertTask(store, interval("soon", { next_fire_at: T0 + 300 }), T0);
      const s = scheduler();
      const stop = new AbortController();
      clock.sleep = async (ms: number) => {
        clock.sleeps.push(ms);
        if (clock.sleeps.length === 1) clock.t += ms;
        else stop.abort();
      };
      await s.run(stop.signal);
      assert.equal(clock.sleeps[0], 300);
      // After firing at T0+300 the next run is 5 s away: the next look at
      // the database (every pollMs) comes first.
      assert.equal(clock.sleeps[1], 700);
      await store.close();
    });
  });
}
