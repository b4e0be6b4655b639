import assert from "node:assert/strict";
import { test } from "node:test";
import { MisfirePolicy, OverlapPolicy, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { planSlot } from "../../src/policy/planSlot.js";
import type { TaskRow } from "../../src/store/tasks.js";

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const S = 1000;

const task = (extra: Partial<TaskRow> = {}): TaskRow => ({
  id: 1,
  name: "t",
  biz_id: "",
  task_server_id: 1,
  callback_path: "/",
  sched_mode: SchedMode.INTERVAL,
  time_cron: "",
  time_zone: "",
  time_interval_sec: 5,
  time_spec_at: 0,
  arg: "",
  state: TaskState.SCHEDULED,
  run_times: 0,
  next_fire_at: T0,
  version: 0,
  created_at: T0,
  updated_at: T0,
  misfire_policy: 0,
  misfire_max_catch_up: 0,
  overlap_policy: 0,
  max_retries: 0,
  retry_initial_sec: 0,
  retry_multiplier: 0,
  retry_max_sec: 0,
  max_run_time_sec: 0,
  max_run_times: 0,
  start_at: 0,
  end_at: 0,
  route_strategy: 0,
  queued: 0,
  paused_reason: "",
  ...extra,
});

test("an on-time slot fires and the next one follows the fixed-rate grid", () => {
  assert.deepEqual(planSlot(task(), T0 + 3, false), { fire: true, nextFireAt: T0 + 5 * S, state: TaskState.SCHEDULED, queue: false, cancelOpenRuns: false });
});

test("misfire FIRE_ONCE (the default) runs once for all missed slots", () => {
  const p = planSlot(task(), T0 + 23 * S, false);
  assert.equal(p.fire, true);
  assert.equal(p.nextFireAt, T0 + 25 * S);
});

test("misfire SKIP does not run a missed slot, but a slot claimed within the threshold runs", () => {
  const late = planSlot(task({ misfire_policy: MisfirePolicy.SKIP }), T0 + 23 * S, false);
  assert.equal(late.fire, false);
  assert.equal(late.nextFireAt, T0 + 25 * S);
  assert.equal(planSlot(task({ misfire_policy: MisfirePolicy.SKIP }), T0 + 900, false).fire, true);
});

test("misfire FIRE_ALL runs every missed slot, keeping only the latest max", () => {
  // Missed T0, +5, +10, +15, +20 (5 slots) with room for 10: the next is the slot after T0.
  assert.equal(planSlot(task({ misfire_policy: MisfirePolicy.FIRE_ALL }), T0 + 23 * S, false).nextFireAt, T0 + 5 * S);
  // Room for 3: this run plus +15 and +20.
  assert.equal(planSlot(task({ misfire_policy: MisfirePolicy.FIRE_ALL, misfire_max_catch_up: 3 }), T0 + 23 * S, false).nextFireAt, T0 + 15 * S);
  const cron = task({ sched_mode: SchedMode.CRON, time_cron: "*/10 * * * * *", time_interval_sec: 0, misfire_policy: MisfirePolicy.FIRE_ALL, misfire_max_catch_up: 2 });
  // Missed T0, +10, +20, +30 with room for 2: this run plus +30.
  assert.equal(planSlot(cron, T0 + 35 * S, false).nextFireAt, T0 + 30 * S);
});

test("overlap policies decide a slot that comes while a run is open", () => {
  assert.equal(planSlot(task({ overlap_policy: OverlapPolicy.ALLOW }), T0, true).fire, true);
  const skip = planSlot(task({ overlap_policy: OverlapPolicy.SKIP }), T0, true);
  assert.deepEqual([skip.fire, skip.nextFireAt], [false, T0 + 5 * S]);
  const queue = planSlot(task({ overlap_policy: OverlapPolicy.QUEUE_ONE }), T0, true);
  assert.deepEqual([queue.fire, queue.queue], [false, true]);
  const cancel = planSlot(task({ overlap_policy: OverlapPolicy.CANCEL_PREVIOUS }), T0, true);
  assert.deepEqual([cancel.fire, cancel.cancelOpenRuns], [true, true]);
  assert.equal(planSlot(task({ overlap_policy: OverlapPolicy.SKIP }), T0, false).fire, true, "no open run: fires");
});

test("fixed delay waits for the run to finish: no next fire time while it runs", () => {
  const p = planSlot(task({ sched_mode: SchedMode.FIXED_DELAY }), T0, false);
  assert.deepEqual([p.fire, p.nextFireAt, p.state], [true, null, TaskState.SCHEDULED]);
});

test("max_run_times finishes the task with its last run, and a task past it never fires", () => {
  const last = planSlot(task({ max_run_times: 3, run_times: 2 }), T0, false);
  assert.deepEqual([last.fire, last.nextFireAt, last.state], [true, null, TaskState.FINISHED]);
  const over = planSlot(task({ max_run_times: 3, run_times: 3 }), T0, false);
  assert.deepEqual([over.fire, over.state], [false, TaskState.FINISHED]);
  const delay = planSlot(task({ sched_mode: SchedMode.FIXED_DELAY, max_run_times: 1 }), T0, false);
  assert.deepEqual([delay.fire, delay.state], [true, TaskState.FINISHED]);
});

test("end_at: the last slot before it fires and finishes the task; a slot after it does not fire", () => {
  const last = planSlot(task({ end_at: T0 + 2 * S }), T0, false);
  assert.deepEqual([last.fire, last.nextFireAt, last.state], [true, null, TaskState.FINISHED]);
  assert.equal(planSlot(task({ end_at: T0 - 1 }), T0, false).fire, false);
});

test("cron slots follow the task's time zone", () => {
  const nine = task({ sched_mode: SchedMode.CRON, time_cron: "0 0 9 * * *", time_zone: "Asia/Shanghai", time_interval_sec: 0, next_fire_at: Date.UTC(2026, 0, 1, 1) });
  assert.equal(planSlot(nine, Date.UTC(2026, 0, 1, 1), false).nextFireAt, Date.UTC(2026, 0, 2, 1));
});
