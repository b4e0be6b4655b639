import type { Schedule } from "./nextFireTime.js";

// The schedule columns of a stored task (times in the row: seconds for
// time_spec_at, as the API gives it).
export interface ScheduleColumns {
  sched_mode: number;
  time_cron: string;
  time_zone: string;
  time_interval_sec: number;
  time_spec_at: number;
}

export const scheduleOfTask = (t: ScheduleColumns): Schedule => ({
  mode: t.sched_mode,
  cron: t.time_cron,
  timeZone: t.time_zone || undefined,
  intervalSec: t.time_interval_sec,
  specAtMs: t.time_spec_at * 1000,
});
