import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import {
  type AddTaskRequest,
  type ConfirmTaskRequest,
  type GetTaskRequest,
  type ListTaskLogsRequest,
  type ListTasksRequest,
  type StopTaskRequest,
  SchedMode,
  TaskLogSchema,
  TaskSchema,
  TaskService,
} from "../../gen/easytask/v1/task_pb.js";
import { ScheduleError } from "../schedule/cron.js";
import { firstFireTime, type Schedule } from "../schedule/nextFireTime.js";
import type { Db } from "../store/database.js";
import { findTaskServerId } from "../store/taskServers.js";
import { abortRunningRuns, confirmRun, listTaskLogs, type TaskLogRow } from "../store/taskLogs.js";
import { getTask, listTasks, stopTask, upsertTask, type TaskWithServer } from "../store/tasks.js";
import { DomainError, invalidArgument, taskNotFound, taskServerNotFound } from "./errors.js";
import type { Clock, TaskEvents } from "./ports.js";
import { optionalTimestamp } from "./timestamps.js";
import { maxLength, pageSize, pageToken, required, requiredId } from "./validate.js";

const MAX_NAME = 255;
const MAX_PATH = 1024;

// Turns the request's schedule fields into the first fire time, refusing a
// mode without its time field or a schedule that would never fire.
function firstFire(req: AddTaskRequest, now: number): number {
  let schedule: Schedule;
  switch (req.schedMode) {
    case SchedMode.CRON:
      schedule = { mode: SchedMode.CRON, cron: required("time_cron", req.timeCron).trim() };
      break;
    case SchedMode.AT:
      if (req.timeSpecAt <= 0n) throw invalidArgument("time_spec_at", "time_spec_at is required for sched_mode 2 (unix seconds)");
      if (req.timeSpecAt > 253402300799n) throw invalidArgument("time_spec_at", "time_spec_at must be unix seconds before the year 10000");
      schedule = { mode: SchedMode.AT, specAtMs: Number(req.timeSpecAt) * 1000 };
      break;
    case SchedMode.INTERVAL:
      if (req.timeIntervalSec <= 0) throw invalidArgument("time_interval_sec", "time_interval_sec is required for sched_mode 3");
      schedule = { mode: SchedMode.INTERVAL, intervalSec: req.timeIntervalSec };
      break;
    case SchedMode.UNSPECIFIED:
      throw invalidArgument("sched_mode", "sched_mode is required (1 cron, 2 specified time, 3 interval)");
    default:
      throw invalidArgument("sched_mode", `sched_mode ${req.schedMode} is not one of 1 cron, 2 specified time, 3 interval`);
  }
  let nextFireAt: number | null;
  try {
    nextFireAt = firstFireTime(schedule, now);
  } catch (err) {
    if (err instanceof ScheduleError) throw invalidArgument(err.field, err.message);
    throw err;
  }
  if (nextFireAt === null) throw invalidArgument("time_cron", `time_cron "${req.timeCron}" never fires`);
  return nextFireAt;
}

function toTask(row: TaskWithServer) {
  return create(TaskSchema, {
    taskId: BigInt(row.id),
    name: row.name,
    srvName: row.srv_name,
    callbackPath: row.callback_path,
    schedMode: row.sched_mode,
    timeCron: row.time_cron,
    timeIntervalSec: row.time_interval_sec,
    timeSpecAt: BigInt(row.time_spec_at),
    arg: row.arg,
    bizId: row.biz_id,
    state: row.state,
    runTimes: row.run_times,
    nextFireAt: optionalTimestamp(row.next_fire_at),
    createdAt: timestampFromMs(row.created_at),
    updatedAt: timestampFromMs(row.updated_at),
  });
}

function toTaskLog(row: TaskLogRow) {
  return create(TaskLogSchema, {
    taskLogId: BigInt(row.id),
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
  });
}

export class TaskServiceImpl implements ServiceImpl<typeof TaskService> {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: TaskEvents,
  ) {}

  async addTask(req: AddTaskRequest) {
    const name = maxLength("name", required("name", req.name), MAX_NAME);
    const srvName = maxLength("srv_name", required("srv_name", req.srvName), MAX_NAME);
    const bizId = maxLength("biz_id", req.bizId, MAX_NAME);
    const path = maxLength("callback_path", req.callbackPath.trim(), MAX_PATH);
    if (/[\s?#]/.test(path)) throw invalidArgument("callback_path", "callback_path must be a URL path without spaces, query or fragment");
    const now = this.clock.now();
    const nextFireAt = firstFire(req, now);
    const taskServerId = await findTaskServerId(this.db, srvName);
    if (taskServerId === undefined) throw taskServerNotFound(`task server ${srvName} not found: register it with add_task_server first`);
    const id = await upsertTask(
      this.db,
      {
        name,
        bizId,
        taskServerId,
        callbackPath: path === "" || path.startsWith("/") ? path : `/${path}`,
        schedMode: req.schedMode,
        timeCron: req.schedMode === SchedMode.CRON ? req.timeCron.trim() : "",
        timeIntervalSec: req.schedMode === SchedMode.INTERVAL ? req.timeIntervalSec : 0,
        timeSpecAt: req.schedMode === SchedMode.AT ? Number(req.timeSpecAt) : 0,
        arg: req.arg,
        nextFireAt,
      },
      now,
    );
    this.events.taskChanged(id, nextFireAt);
    return { taskId: BigInt(id) };
  }

  async stopTask(req: StopTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    const now = this.clock.now();
    if (!(await stopTask(this.db, taskId, now))) throw taskNotFound(taskId);
    await abortRunningRuns(this.db, taskId, "task stopped", now);
    this.events.taskStopped(taskId);
    return {};
  }

  async confirmTask(req: ConfirmTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    if (req.taskRunTimes === 0) throw invalidArgument("task_run_times", "task_run_times is required");
    if (!(await getTask(this.db, taskId))) throw taskNotFound(taskId);
    const result = await confirmRun(this.db, taskId, req.taskRunTimes, req.isSuccess, req.extra, this.clock.now());
    switch (result) {
      case "confirmed":
      case "already_confirmed":
        return {};
      case "no_run":
        throw new DomainError(ErrorReason.RUN_NOT_FOUND, `task ${taskId} has no run ${req.taskRunTimes}`, "task_run_times");
      case "conflict":
        throw new DomainError(ErrorReason.RUN_NOT_CONFIRMABLE, `run ${req.taskRunTimes} of task ${taskId} was already confirmed with the other outcome`, "is_success");
      case "not_async":
        throw new DomainError(ErrorReason.RUN_NOT_CONFIRMABLE, `run ${req.taskRunTimes} of task ${taskId} is not waiting for a confirmation`, "task_run_times");
    }
  }

  async getTask(req: GetTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    const row = await getTask(this.db, taskId);
    if (!row) throw taskNotFound(taskId);
    return { task: toTask(row) };
  }

  async listTasks(req: ListTasksRequest) {
    const limit = pageSize(req.pageSize);
    const rows = await listTasks(this.db, { afterId: pageToken(req.pageToken, 0), limit, srvName: req.srvName, state: req.state });
    return { tasks: rows.map(toTask), nextPageToken: rows.length === limit ? String(rows[rows.length - 1].id) : "" };
  }

  async listTaskLogs(req: ListTaskLogsRequest) {
    const taskId = requiredId("task_id", req.taskId);
    const limit = pageSize(req.pageSize);
    const rows = await listTaskLogs(this.db, taskId, pageToken(req.pageToken, Number.MAX_SAFE_INTEGER), limit);
    return { taskLogs: rows.map(toTaskLog), nextPageToken: rows.length === limit ? String(rows[rows.length - 1].id) : "" };
  }
}
