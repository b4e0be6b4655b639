import assert from "node:assert/strict";
import { test } from "node:test";
import { SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { convertGoCron } from "../../src/calendar/goCron.js";
import { mapGoTask, type GoTaskRow } from "../../src/store/legacyImport/taskMapping.js";

// A row of the original's task table (its database's numbering: sched_mode
// 1 specified time, 2 cron, 3 interval; unix seconds) as an easytask task.

const NOW = Date.parse("2026-12-02T12:00:00Z");
const S = NOW / 1000;
const NO_LIMIT = 9223372036854775807;
const ctx = { timeZone: "UTC", now: NOW, convert: (e: string) => convertGoCron(e, "UTC", NOW), knownServers: new Set([1]), missingServerId: 77 };

const goTask = (extra: Partial<GoTaskRow>): GoTaskRow => ({
  id: 42,
  created_at: S - 3600,
  deleted_at: 0,
  name: "t",
  arg: "a",
  plan_sched_next_at: S + 30,
  time_cron_expr: "",
  time_interval_sec: 0,
  sched_mode: 3,
  callback_srv_id: 1,
  run_times: 4,
  allow_max_run_times: NO_LIMIT,
  max_run_time_sec: 1,
  callback_path: "/iv",
  biz_id: "b",
  ...extra,
});

test("an interval task keeps its id, run count, next due time and limits", () => {
  const { row } = mapGoTask(goTask({ time_interval_sec: 10 }), ctx);
  assert.equal(row.id, 42);
  assert.equal(row.sched_mode, SchedMode.INTERVAL);
  assert.equal(row.time_interval_sec, 10);
  assert.equal(row.state, TaskState.SCHEDULED);
  assert.equal(row.run_times, 4);
  assert.equal(row.next_fire_at, (S + 30) * 1000);
  assert.equal(row.max_run_times, 0, "2^63-1 means no limit");
  assert.equal(row.max_run_time_sec, 1);
  assert.equal(row.created_at, (S - 3600) * 1000);
  assert.deepEqual([row.name, row.biz_id, row.arg, row.callback_path, row.task_server_id], ["t", "b", "a", "/iv", 1]);
  assert.equal(row.paused_reason, "");
  // Without a next due time, one interval from now.
  assert.equal(mapGoTask(goTask({ time_interval_sec: 10, plan_sched_next_at: 0 }), ctx).row.next_fire_at, NOW + 10_000);
});

test("a limit on runs carries over; a task that used its runs is finished", () => {
  assert.equal(mapGoTask(goTask({ time_interval_sec: 10, allow_max_run_times: 9 }), ctx).row.max_run_times, 9);
  const done = mapGoTask(goTask({ time_interval_sec: 10, run_times: 9, allow_max_run_times: 9 }), ctx).row;
  assert.equal(done.state, TaskState.FINISHED);
  assert.equal(done.next_fire_at, null);
});

test("sched_mode 1 in the database is a one-shot: pending until it ran", () => {
  const pending = mapGoTask(goTask({ sched_mode: 1, run_times: 0, allow_max_run_times: 1, plan_sched_next_at: S + 300 }), ctx).row;
  assert.equal(pending.sched_mode, SchedMode.AT);
  assert.equal(pending.time_spec_at, S + 300);
  assert.equal(pending.next_fire_at, (S + 300) * 1000);
  assert.equal(pending.state, TaskState.SCHEDULED);
  assert.equal(pending.max_run_times, 0);
  assert.equal(mapGoTask(goTask({ sched_mode: 1, run_times: 1, allow_max_run_times: 1 }), ctx).row.state, TaskState.FINISHED);
  // Added again with a new time after it ran: the original raised allow_max_run_times to run_times + 1.
  const again = mapGoTask(goTask({ sched_mode: 1, run_times: 1, allow_max_run_times: 2, plan_sched_next_at: S - 5 }), ctx).row;
  assert.equal(again.state, TaskState.SCHEDULED);
  assert.equal(again.next_fire_at, (S - 5) * 1000, "overdue: fires at once");
});

test("a soft-deleted task is stopped", () => {
  const row = mapGoTask(goTask({ time_interval_sec: 10, deleted_at: S - 10 }), ctx).row;
  assert.equal(row.state, TaskState.STOPPED);
  assert.equal(row.next_fire_at, null);
  assert.equal(row.run_times, 4);
});

test("a cron task gets its equivalent, the zone it ran in, and keeps its next due time", () => {
  const plan = Date.parse("2026-12-07T09:00:00Z") / 1000;
  const m = mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 * * 1 *", plan_sched_next_at: plan }), ctx);
  assert.equal(m.row.sched_mode, SchedMode.CRON);
  assert.equal(m.row.time_cron, "0 0 9 * * 1");
  assert.equal(m.row.time_zone, "UTC");
  assert.equal(m.row.next_fire_at, plan * 1000);
  assert.equal(m.row.state, TaskState.SCHEDULED);
  assert.equal(m.offSchedule, false);
  assert.deepEqual(m.cron?.goExpr, "0 9 * * 1 *");
  // A next due time off the schedule hints at a wrong time zone.
  assert.equal(mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 * * 1 *", plan_sched_next_at: plan - 3600 }), ctx).offSchedule, true);
  // None: the next slot from now.
  assert.equal(mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 * * 1 *", plan_sched_next_at: 0 }), ctx).row.next_fire_at, plan * 1000);
});

test("a cron's years bound the task and its first run", () => {
  const m = mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 * * 1 2027", plan_sched_next_at: S }), ctx).row;
  assert.equal(m.start_at, Date.parse("2027-01-01T00:00:00Z"));
  assert.equal(m.end_at, Date.parse("2027-12-31T23:59:59Z"));
  assert.equal(m.next_fire_at, Date.parse("2027-01-04T09:00:00Z"));
});

test("a cron with no equivalent is paused with the reason, its text kept; resume needs a new schedule", () => {
  const m = mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 * * 1 2027,2029" }), ctx).row;
  assert.equal(m.state, TaskState.PAUSED);
  assert.equal(m.next_fire_at, null);
  assert.equal(m.time_cron, "0 9 * * 1 2027,2029");
  assert.match(m.paused_reason!, /^its time_cron "0 9 \* \* 1 2027,2029" from easytask \(Go\) cannot be kept: its year field .*; give the task a new schedule with add_task \(same name and biz_id\)/);
  // Stopped in the original: stopped, and resuming it needs a new schedule too.
  const stopped = mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 15W * *", deleted_at: S }), ctx).row;
  assert.equal(stopped.state, TaskState.STOPPED);
  assert.match(stopped.paused_reason!, /15w/);
  // Finished anyway: nothing to resume.
  assert.equal(mapGoTask(goTask({ sched_mode: 2, time_cron_expr: "0 9 15W * *", run_times: 1, allow_max_run_times: 1 }), ctx).row.paused_reason, "");
});

test("what the original could not schedule either is paused with the reason", () => {
  const unknown = mapGoTask(goTask({ sched_mode: 7 }), ctx).row;
  assert.equal(unknown.state, TaskState.PAUSED);
  assert.match(unknown.paused_reason!, /sched_mode 7 from easytask \(Go\) is not one of/);
  assert.match(mapGoTask(goTask({ time_interval_sec: 0 }), ctx).row.paused_reason!, /time_interval_sec 0 from easytask \(Go\) is not a positive interval/);
  const orphan = mapGoTask(goTask({ time_interval_sec: 10, callback_srv_id: 5 }), ctx).row;
  assert.equal(orphan.state, TaskState.PAUSED);
  assert.equal(orphan.task_server_id, 77);
  assert.match(orphan.paused_reason!, /task server \(id 5\) does not exist in easytask \(Go\)/);
});

test("NULL columns read as the original's zero values", () => {
  const nulls = { created_at: null, name: null, arg: null, biz_id: null, callback_path: null, run_times: null, max_run_time_sec: null };
  const row = mapGoTask(goTask({ time_interval_sec: 10, ...nulls }), ctx).row;
  assert.deepEqual([row.name, row.arg, row.biz_id, row.callback_path, row.run_times, row.max_run_time_sec, row.created_at], ["", "", "", "", 0, 0, 0]);
  assert.equal(mapGoTask(goTask({ time_interval_sec: 10, allow_max_run_times: null }), ctx).row.state, TaskState.FINISHED, "the original never schedules it");
});
