import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RetryBackoffSchema, TaskLogSchema, TaskSchema } from "../../gen/easytask/v1/task_pb.js";
import type { RunWithTask, TaskLogRow } from "../store/taskLogs.js";
import type { TaskWithServer } from "../store/tasks.js";
import { DEFAULT_POLICIES } from "../policy/defaults.js";
import { optionalTimestamp } from "./timestamps.js";

// `lastRun`: the task's latest attempt, when the caller read it.
export function toTask(row: TaskWithServer, lastRun?: TaskLogRow) {
  return create(TaskSchema, {
    taskId: BigInt(row.id),
    name: row.name,
    srvName: row.srv_name,
    callbackPath: row.callback_path,
    schedMode: row.sched_mode,
    timeCron: row.time_cron,
    timeZone: row.time_zone,
    timeIntervalSec: row.time_interval_sec,
    timeSpecAt: BigInt(row.time_spec_at),
    arg: row.arg,
    bizId: row.biz_id,
    state: row.state,
    runTimes: row.run_times,
    nextFireAt: optionalTimestamp(row.next_fire_at),
    createdAt: timestampFromMs(row.created_at),
    updatedAt: timestampFromMs(row.updated_at),
    // The policies in effect: unset fields show their defaults.
    misfirePolicy: row.misfire_policy || DEFAULT_POLICIES.misfirePolicy,
    misfireMaxCatchUp: row.misfire_max_catch_up || DEFAULT_POLICIES.misfireMaxCatchUp,
    overlapPolicy: row.overlap_policy || DEFAULT_POLICIES.overlapPolicy,
    maxRetries: row.max_retries,
    retryBackoff: create(RetryBackoffSchema, {
      initialSec: row.retry_initial_sec || DEFAULT_POLICIES.retryBackoff.initialSec,
      multiplier: row.retry_multiplier || DEFAULT_POLICIES.retryBackoff.multiplier,
      maxSec: row.retry_max_sec || DEFAULT_POLICIES.retryBackoff.maxSec,
    }),
    maxRunTimeSec: row.max_run_time_sec,
    maxRunTimes: row.max_run_times,
    startAt: BigInt(Math.floor(row.start_at / 1000)),
    endAt: BigInt(Math.floor(row.end_at / 1000)),
    routeStrategy: row.route_strategy || DEFAULT_POLICIES.routeStrategy,
    lastRunState: lastRun?.state,
    lastRunStartedAt: lastRun && timestampFromMs(lastRun.started_at),
    pausedReason: row.paused_reason,
  });
}

export function toTaskLog(row: RunWithTask) {
  return create(TaskLogSchema, {
    taskLogId: BigInt(row.id),
    taskName: row.task_name,
    taskId: BigInt(row.task_id),
    runTimes: row.run_times,
    attempt: row.attempt,
    state: row.state,
    route: row.route,
    httpStatus: row.http_status,
    response: row.response,
    error: row.error,
    isSuccess: row.is_success === 1,
    extra: row.extra,
    dueAt: timestampFromMs(row.due_at),
    startedAt: timestampFromMs(row.started_at),
    finishedAt: optionalTimestamp(row.finished_at),
    confirmedAt: optionalTimestamp(row.confirmed_at),
    deadlineAt: optionalTimestamp(row.deadline_at),
    nodeId: row.node_id,
    arg: row.arg ?? undefined,
    manual: row.manual === 1,
  });
}
