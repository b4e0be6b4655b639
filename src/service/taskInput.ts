import { AddTaskRequestSchema, MisfirePolicy, OverlapPolicy, RetryBackoffSchema, RouteStrategy, SchedMode, type AddTaskRequest } from "../../gen/easytask/v1/task_pb.js";
import { checkTimeZone, ScheduleError } from "../calendar/cron.js";
import { firstFireTime, type Schedule } from "../calendar/nextFireTime.js";
import type { TaskFields, TaskRow } from "../store/tasks.js";
import { invalidArgument } from "./errors.js";
import { limitOf } from "./limits.js";
import { maxBytes, maxLength, printable, required } from "./validate.js";

const limit = (field: string, bound: "maxChars" | "maxBytes" | "maxValue") => limitOf(AddTaskRequestSchema, field, bound);
const MAX_NAME = limit("name", "maxChars");
const MAX_BIZ_ID = limit("biz_id", "maxChars");
const MAX_PATH = limit("callback_path", "maxChars");
const MAX_INTERVAL_SEC = limit("time_interval_sec", "maxValue");
const MAX_CRON = limit("time_cron", "maxChars");
const MAX_TIME_ZONE = limit("time_zone", "maxChars");
// Sent in every callback body; larger payloads belong in the task server's own storage.
export const MAX_ARG_BYTES = limit("arg", "maxBytes");
// Unix seconds before the year 10000.
const MAX_UNIX_SEC = BigInt(limit("time_spec_at", "maxValue"));
const backoffLimit = (field: string) => limitOf(RetryBackoffSchema, field, "maxValue");

const MODES = "1 cron, 2 specified time, 3 interval, 4 fixed delay";

// The schedule fields of AddTask (and PreviewSchedule, which takes the same).
export type ScheduleFields = Pick<AddTaskRequest, "schedMode" | "timeCron" | "timeZone" | "timeSpecAt" | "timeIntervalSec">;

// Checks the schedule fields (each refusal names its field).
export function scheduleOf(req: ScheduleFields): Schedule {
  if (req.timeZone) {
    maxLength("time_zone", req.timeZone, MAX_TIME_ZONE);
    try {
      checkTimeZone(req.timeZone);
    } catch (err) {
      throw invalidArgument("time_zone", (err as Error).message);
    }
  }
  switch (req.schedMode) {
    case SchedMode.CRON:
      return { mode: SchedMode.CRON, cron: maxLength("time_cron", required("time_cron", req.timeCron).trim(), MAX_CRON), timeZone: req.timeZone || undefined };
    case SchedMode.AT:
      if (req.timeSpecAt <= 0n) throw invalidArgument("time_spec_at", "time_spec_at is required for sched_mode 2 (unix seconds)");
      if (req.timeSpecAt > MAX_UNIX_SEC) throw invalidArgument("time_spec_at", "time_spec_at must be unix seconds before the year 10000");
      return { mode: SchedMode.AT, specAtMs: Number(req.timeSpecAt) * 1000 };
    case SchedMode.INTERVAL:
    case SchedMode.FIXED_DELAY:
      if (req.timeIntervalSec <= 0) throw invalidArgument("time_interval_sec", `time_interval_sec is required for sched_mode ${req.schedMode}`);
      if (req.timeIntervalSec > MAX_INTERVAL_SEC) throw invalidArgument("time_interval_sec", `time_interval_sec must be at most ${MAX_INTERVAL_SEC}`);
      return { mode: req.schedMode, intervalSec: req.timeIntervalSec };
    case SchedMode.UNSPECIFIED:
      throw invalidArgument("sched_mode", `sched_mode is required (${MODES})`);
    default:
      throw invalidArgument("sched_mode", `sched_mode ${req.schedMode} is not one of ${MODES}`);
  }
}

function oneOf(field: string, value: number, values: object): number {
  if (!Object.values(values).includes(value)) throw invalidArgument(field, `${field} ${value} is not a known value`);
  return value;
}

function atMost(field: string, value: number, max: number): number {
  if (value > max) throw invalidArgument(field, `${field} must be at most ${max}`);
  return value;
}

export function unixSeconds(field: string, value: bigint): number {
  if (value < 0n || value > MAX_UNIX_SEC) throw invalidArgument(field, `${field} must be unix seconds between 0 and the year 10000`);
  return Number(value) * 1000;
}

// The first fire time of a schedule within the task's start/end bounds,
// refusing one that would never fire.
export function firstFire(schedule: Schedule, bounds: Pick<TaskRow, "start_at" | "end_at">, now: number): number {
  let next: number | null;
  try {
    next = firstFireTime(schedule, Math.max(now, bounds.start_at - 1));
    if (next !== null && schedule.mode !== SchedMode.AT && schedule.mode !== SchedMode.CRON) next = Math.max(next, bounds.start_at);
  } catch (err) {
    if (err instanceof ScheduleError) throw invalidArgument(err.field, err.message);
    throw err;
  }
  if (next === null) throw invalidArgument("time_cron", `time_cron "${schedule.cron}" never fires`);
  if (bounds.end_at && next > bounds.end_at) throw invalidArgument("end_at", "the task would never fire before end_at");
  return next;
}

// Checks an AddTask request field by field (each refusal names its field)
// and turns it into the task's columns and first fire time.
export function taskFromRequest(req: AddTaskRequest, taskServerId: number, now: number): TaskFields & { next_fire_at: number } {
  const name = printable("name", maxLength("name", required("name", req.name), MAX_NAME));
  const bizId = printable("biz_id", maxLength("biz_id", req.bizId, MAX_BIZ_ID));
  const path = maxLength("callback_path", req.callbackPath.trim(), MAX_PATH);
  if (/[\s?#]/.test(path)) throw invalidArgument("callback_path", "callback_path must be a URL path without spaces, query or fragment");
  const schedule = scheduleOf(req);
  const backoff = req.retryBackoff;
  const maxMultiplier = backoffLimit("multiplier");
  if (backoff && backoff.multiplier !== 0 && !(backoff.multiplier >= 1 && backoff.multiplier <= maxMultiplier)) {
    throw invalidArgument("retry_backoff.multiplier", `retry_backoff.multiplier must be between 1 and ${maxMultiplier}`);
  }
  const startAt = unixSeconds("start_at", req.startAt);
  const endAt = unixSeconds("end_at", req.endAt);
  if (endAt && endAt <= Math.max(startAt, now)) throw invalidArgument("end_at", "end_at must be in the future and after start_at");
  const fields = {
    name,
    biz_id: bizId,
    task_server_id: taskServerId,
    callback_path: path === "" || path.startsWith("/") ? path : `/${path}`,
    sched_mode: req.schedMode,
    time_cron: schedule.cron ?? "",
    time_zone: req.schedMode === SchedMode.CRON ? req.timeZone : "",
    time_interval_sec: schedule.intervalSec ?? 0,
    time_spec_at: schedule.specAtMs === undefined ? 0 : schedule.specAtMs / 1000,
    arg: maxBytes("arg", req.arg, MAX_ARG_BYTES),
    misfire_policy: oneOf("misfire_policy", req.misfirePolicy, MisfirePolicy),
    misfire_max_catch_up: atMost("misfire_max_catch_up", req.misfireMaxCatchUp, limit("misfire_max_catch_up", "maxValue")),
    overlap_policy: oneOf("overlap_policy", req.overlapPolicy, OverlapPolicy),
    max_retries: atMost("max_retries", req.maxRetries, limit("max_retries", "maxValue")),
    retry_initial_sec: atMost("retry_backoff.initial_sec", backoff?.initialSec ?? 0, backoffLimit("initial_sec")),
    retry_multiplier: backoff?.multiplier ?? 0,
    retry_max_sec: atMost("retry_backoff.max_sec", backoff?.maxSec ?? 0, backoffLimit("max_sec")),
    max_run_time_sec: atMost("max_run_time_sec", req.maxRunTimeSec, limit("max_run_time_sec", "maxValue")),
    max_run_times: req.maxRunTimes,
    start_at: startAt,
    end_at: endAt,
    route_strategy: oneOf("route_strategy", req.routeStrategy, RouteStrategy),
  };
  return { ...fields, next_fire_at: firstFire(schedule, fields, now) };
}
