import { MisfirePolicy, OverlapPolicy, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { nextCronFire } from "../calendar/cron.js";
import { nextFireAfterRun, type Schedule } from "../calendar/nextFireTime.js";
import { scheduleOfTask, type ScheduleColumns } from "../calendar/taskSchedule.js";
import { DEFAULT_POLICIES } from "./defaults.js";

// A slot claimed later than this was missed (scheduler down or behind) and
// its task's misfire policy applies.
export const MISFIRE_THRESHOLD_MS = 1000;
// Cron slots counted at most when catching up; past it, FIRE_ALL falls back
// to firing once.
const MAX_CRON_SLOTS_COUNTED = 10_000;

// The task columns that decide what a due slot does.
export interface SlotPolicyColumns extends ScheduleColumns {
  next_fire_at: number | null;
  run_times: number;
  max_run_times: number;
  start_at: number;
  end_at: number;
  misfire_policy: number;
  misfire_max_catch_up: number;
  overlap_policy: number;
}

export interface SlotPlan {
  fire: boolean;
  nextFireAt: number | null;
  state: TaskState;
  // OVERLAP_POLICY_QUEUE_ONE: run again when the open run finishes.
  queue: boolean;
  // OVERLAP_POLICY_CANCEL_PREVIOUS: the open runs are canceled.
  cancelOpenRuns: boolean;
}

// The slot right after `at` on the task's schedule.
function following(s: Schedule, at: number): number | null {
  return s.mode === SchedMode.INTERVAL ? at + s.intervalSec! * 1000 : nextCronFire(s.cron!, at, s.timeZone);
}

// FIRE_ALL: the next slot to run when catching up from `due`, keeping only
// the most recent `max` missed slots (this run counts as the first of them).
function catchUpNext(s: Schedule, due: number, now: number, max: number): number | null {
  if (s.mode === SchedMode.INTERVAL) {
    const interval = s.intervalSec! * 1000;
    const missed = Math.floor((now - due) / interval) + 1;
    return due + Math.max(1, missed - max + 1) * interval;
  }
  const recent: number[] = [];
  for (let slot = following(s, due), n = 0; slot !== null && slot <= now; slot = following(s, slot), n++) {
    if (n === MAX_CRON_SLOTS_COUNTED) return nextFireAfterRun(s, due, now);
    recent.push(slot);
    if (recent.length > max - 1) recent.shift();
  }
  return recent[0] ?? following(s, now);
}

// Decides what the due slot of a task does, from its policies alone: fire or
// not, when the next slot is, and whether the task is done. `hasOpenRun`
// matters only for overlap policies other than ALLOW.
export function planSlot(task: SlotPolicyColumns, now: number, hasOpenRun: boolean): SlotPlan {
  const s = scheduleOfTask(task);
  const due = task.next_fire_at ?? now;
  const finished: SlotPlan = { fire: false, nextFireAt: null, state: TaskState.FINISHED, queue: false, cancelOpenRuns: false };
  if ((task.end_at && due > task.end_at) || (task.max_run_times && task.run_times >= task.max_run_times)) return finished;

  const late = now - due > MISFIRE_THRESHOLD_MS;
  let fire = !(late && task.misfire_policy === MisfirePolicy.SKIP);
  let next: number | null;
  if (s.mode === SchedMode.FIXED_DELAY) {
    // Due again only once the run finishes (see finishAttempt); a slot that
    // does not fire waits one delay from now.
    next = fire ? null : now + s.intervalSec! * 1000;
  } else if (late && task.misfire_policy === MisfirePolicy.FIRE_ALL) {
    next = catchUpNext(s, due, now, task.misfire_max_catch_up || DEFAULT_POLICIES.misfireMaxCatchUp);
  } else {
    next = nextFireAfterRun(s, due, now);
  }

  let queue = false;
  let cancelOpenRuns = false;
  if (fire && hasOpenRun) {
    if (task.overlap_policy === OverlapPolicy.SKIP) fire = false;
    else if (task.overlap_policy === OverlapPolicy.QUEUE_ONE) [fire, queue] = [false, true];
    else if (task.overlap_policy === OverlapPolicy.CANCEL_PREVIOUS) cancelOpenRuns = true;
  }

  const runsAfter = task.run_times + (fire ? 1 : 0);
  if (task.max_run_times && runsAfter >= task.max_run_times) next = null;
  if (next !== null && task.start_at && next < task.start_at) next = task.start_at;
  if (next !== null && task.end_at && next > task.end_at) next = null;
  const waitsForFinish = s.mode === SchedMode.FIXED_DELAY && fire && !(task.max_run_times && runsAfter >= task.max_run_times);
  return { fire, nextFireAt: next, state: next === null && !waitsForFinish ? TaskState.FINISHED : TaskState.SCHEDULED, queue, cancelOpenRuns };
}
