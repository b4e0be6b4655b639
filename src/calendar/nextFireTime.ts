import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { nextCronFire, ScheduleError } from "./cron.js";

// The proto's enum is the one definition of the modes (1 cron, 2 at, 3 interval).
export { SchedMode };

export interface Schedule {
  mode: SchedMode;
  cron?: string;
  timeZone?: string;
  intervalSec?: number;
  specAtMs?: number;
}

function cronOf(s: Schedule): string {
  if (s.cron === undefined || s.cron.trim() === "") {
    throw new ScheduleError("time_cron", "time_cron is required for sched_mode 1 (cron)");
  }
  return s.cron;
}

function intervalMsOf(s: Schedule): number {
  const sec = s.intervalSec;
  if (sec === undefined || !Number.isFinite(sec) || sec <= 0) {
    throw new ScheduleError("time_interval_sec", `time_interval_sec must be a positive number of seconds for sched_mode ${s.mode}, got ${sec}`);
  }
  return sec * 1000;
}

function specAtOf(s: Schedule): number {
  if (s.specAtMs === undefined || !Number.isFinite(s.specAtMs)) {
    throw new ScheduleError("time_spec_at", `time_spec_at is required for sched_mode 2, got ${s.specAtMs}`);
  }
  return s.specAtMs;
}

function unknownMode(s: Schedule): never {
  throw new ScheduleError("sched_mode", `sched_mode ${s.mode} is not one of 1 cron, 2 specified time, 3 interval, 4 fixed delay`);
}

export function firstFireTime(s: Schedule, nowMs: number): number | null {
  switch (s.mode) {
    case SchedMode.CRON:
      return nextCronFire(cronOf(s), nowMs, s.timeZone);
    case SchedMode.AT:
      // A time already past is kept as is: the task is due at once and fires a
      // single time, instead of being refused or silently dropped.
      return specAtOf(s);
    case SchedMode.INTERVAL:
    case SchedMode.FIXED_DELAY:
      return nowMs + intervalMsOf(s);
    default:
      return unknownMode(s);
  }
}

// Misfire policy is "fire once": however many slots passed while nobody was
// claiming (server down, cluster failover), the claimed run stands for all of
// them, and the next fire is the first slot of the schedule after now.
export function nextFireAfterRun(s: Schedule, dueMs: number, nowMs: number): number | null {
  switch (s.mode) {
    case SchedMode.AT:
      return null;
    // Due again only when the run finishes, one delay later.
    case SchedMode.FIXED_DELAY:
      return null;
    case SchedMode.INTERVAL: {
      const interval = intervalMsOf(s);
      // Slots stay on the grid anchored at dueMs (fixed rate), so a late claim
      // does not shift every later fire; k >= 1 even if the claim came early
      // because another node's clock runs behind.
      let k = Math.max(1, Math.floor((nowMs - dueMs) / interval) + 1);
      // Guards against float rounding with fractional intervals.
      while (dueMs + k * interval <= nowMs) k++;
      return dueMs + k * interval;
    }
    case SchedMode.CRON:
      return nextCronFire(cronOf(s), Math.max(dueMs, nowMs), s.timeZone);
    default:
      return unknownMode(s);
  }
}

// Up to `count` fire times from `first` on, none after `endAt` (0: no end),
// as if every run were claimed on time. A fixed delay gives only the first:
// the next depends on when the run finishes.
export function upcomingFireTimes(s: Schedule, first: number | null, endAt: number, count: number): number[] {
  const times: number[] = [];
  for (let t = first; t !== null && times.length < count && (!endAt || t <= endAt); t = nextFireAfterRun(s, t, t)) times.push(t);
  return times;
}
