import type { ServiceImpl } from "@connectrpc/connect";
import { ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import {
  type AddTaskRequest,
  type BulkTaskActionRequest,
  type ConfirmTaskRequest,
  type DeleteTaskRequest,
  type GetTaskHistoryRequest,
  type GetTaskRequest,
  type KillRunRequest,
  type ListTaskLogsRequest,
  type ListTasksRequest,
  type PauseTaskRequest,
  type PreviewScheduleRequest,
  type ResumeTaskRequest,
  type RetryRunRequest,
  type StopTaskRequest,
  type TriggerTaskRequest,
  RunState,
  TaskService,
  TaskState,
} from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "../store/database.js";
import { confirmRun, killRun, retryRun } from "../store/runControl.js";
import { searchRunErrors } from "../store/runSearch.js";
import { enqueueRun, latestRuns, listTaskLogs } from "../store/taskLogs.js";
import { findTaskServerId } from "../store/taskServers.js";
import { getTask, listTasks, TaskServerGone, upsertTask, type TaskFields, type TaskWithServer } from "../store/tasks.js";
import { DomainError, invalidArgument, taskNotFound, taskServerNotFound } from "./errors.js";
import type { Clock } from "../clock.js";
import type { TaskEvents } from "./ports.js";
import { bulkTaskAction } from "./bulkTaskAction.js";
import { getTaskHistory } from "./taskHistory.js";
import { MAX_ARG_BYTES, taskFromRequest } from "./taskInput.js";
import { ALL_STATES, pause, remove, resume, stop, type StateDeps } from "./taskStates.js";
import { previewSchedule } from "./schedulePreview.js";
import { sharedStats } from "./stats.js";
import { toTask, toTaskLog } from "./taskMessages.js";
import { optionalMs } from "./timestamps.js";
import { maxBytes, maxLength, pageSize, pageToken, required, requiredId } from "./validate.js";

// The task server's note on a confirmation, kept in the run log.
const MAX_EXTRA_BYTES = 64 * 1024;

const unregistered = (srvName: string) => taskServerNotFound(`task server ${srvName} not found: register it with add_task_server first`);

const wrongState = (taskId: number, message: string) => new DomainError(ErrorReason.TASK_STATE, `task ${taskId} ${message}`, "task_id");

export class TaskServiceImpl implements ServiceImpl<typeof TaskService> {
  // Task server ids by name, saving a read per AddTask. Task servers are
  // never renamed; one deleted since is caught by upsertTask
  // (TaskServerGone), and its name is looked up again.
  private readonly taskServerIds = new Map<string, number>();

  private readonly stats: ReturnType<typeof sharedStats>;

  private readonly states: StateDeps;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: TaskEvents,
  ) {
    this.states = { db, clock, events };
    this.stats = sharedStats(db, clock);
  }

  async addTask(req: AddTaskRequest) {
    const srvName = maxLength("srv_name", required("srv_name", req.srvName), 255);
    const now = this.clock.now();
    // Every field is checked before the task server is looked up, so a bad
    // request gets the same answer whether or not the server exists.
    const fields = taskFromRequest(req, 0, now);
    const id = await this.upsert(srvName, fields, now);
    this.events.taskChanged(id, fields.next_fire_at);
    return { taskId: BigInt(id) };
  }

  async stopTask(req: StopTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    if (!(await stop(this.states, taskId, ALL_STATES))) throw taskNotFound(taskId);
    return {};
  }

  async pauseTask(req: PauseTaskRequest) {
    const task = await this.existing(req.taskId);
    if (task.state !== TaskState.PAUSED && !(await pause(this.states, task.id))) {
      throw wrongState(task.id, "is not scheduled: only a scheduled task can be paused");
    }
    return {};
  }

  async resumeTask(req: ResumeTaskRequest) {
    const task = await this.existing(req.taskId);
    const result = await resume(this.states, task);
    if (result === "finished") throw wrongState(task.id, "has finished: add it again with AddTask to schedule it anew");
    if (result === "changed") throw wrongState(task.id, "changed while resuming; try again");
    return {};
  }

  // Also while paused or finished: an operator asks for this one run.
  async triggerTask(req: TriggerTaskRequest) {
    const task = await this.existing(req.taskId);
    if (task.state === TaskState.STOPPED) throw wrongState(task.id, "is stopped: resume it before running it");
    const arg = req.arg === undefined ? null : maxBytes("arg", req.arg, MAX_ARG_BYTES);
    const runTimes = await enqueueRun(this.db, task.id, this.clock.now(), false, { arg, manual: 1 });
    if (runTimes === undefined) throw taskNotFound(task.id);
    this.events.runQueued();
    return { runTimes };
  }

  async retryRun(req: RetryRunRequest) {
    const task = await this.existing(req.taskId);
    if (req.runTimes === 0) throw invalidArgument("run_times", "run_times is required");
    if (task.state === TaskState.STOPPED) throw wrongState(task.id, "is stopped: resume it before running it");
    const result = await retryRun(this.db, task.id, req.runTimes, this.clock.now());
    if (result === "no_run") throw new DomainError(ErrorReason.RUN_NOT_FOUND, `task ${task.id} has no run ${req.runTimes}`, "run_times");
    if (result === "not_retryable") {
      throw new DomainError(ErrorReason.RUN_NOT_RETRYABLE, `run ${req.runTimes} of task ${task.id} is open or succeeded: only a run that ended without success is run again`, "run_times");
    }
    this.events.runQueued();
    return { attempt: result.attempt };
  }

  async bulkTaskAction(req: BulkTaskActionRequest) {
    return bulkTaskAction(this.states, req);
  }

  async getTaskHistory(req: GetTaskHistoryRequest) {
    return getTaskHistory(this.db, req, this.clock.now());
  }

  async killRun(req: KillRunRequest) {
    const task = await this.existing(req.taskId);
    if (req.runTimes === 0) throw invalidArgument("run_times", "run_times is required");
    const result = await killRun(this.db, task.id, req.runTimes, this.clock.now());
    if (result === "no_run") throw new DomainError(ErrorReason.RUN_NOT_FOUND, `task ${task.id} has no run ${req.runTimes}`, "run_times");
    if (result === "not_open") throw new DomainError(ErrorReason.RUN_NOT_OPEN, `run ${req.runTimes} of task ${task.id} is not running`, "run_times");
    this.events.runKilled(task.id, req.runTimes);
    this.events.runEnded(task.task_server_id, RunState.KILLED, task.id);
    return {};
  }

  async deleteTask(req: DeleteTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    if (!(await remove(this.states, taskId))) throw taskNotFound(taskId);
    return {};
  }

  async confirmTask(req: ConfirmTaskRequest) {
    const taskId = requiredId("task_id", req.taskId);
    if (req.taskRunTimes === 0) throw invalidArgument("task_run_times", "task_run_times is required");
    maxBytes("extra", req.extra, MAX_EXTRA_BYTES);
    const task = await getTask(this.db, taskId);
    if (!task) throw taskNotFound(taskId);
    const result = await confirmRun(this.db, taskId, req.taskRunTimes, req.isSuccess, req.extra, this.clock.now());
    switch (result) {
      case "confirmed":
        this.events.runEnded(task.task_server_id, req.isSuccess ? RunState.SUCCEEDED : RunState.FAILED, taskId);
        return {};
      case "partly_confirmed":
      case "already_confirmed":
      case "late":
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
    const task = await this.existing(req.taskId);
    const lastRuns = await latestRuns(this.db, [task.id]);
    return { task: toTask(task, lastRuns.get(task.id)) };
  }

  async listTasks(req: ListTasksRequest) {
    const limit = pageSize(req.pageSize);
    const query = maxLength("query", req.query.trim(), 255);
    const rows = await listTasks(this.db, { afterId: pageToken(req.pageToken, 0), limit, srvName: req.srvName, state: req.state, query });
    const lastRuns = await latestRuns(this.db, rows.map((r) => r.id));
    return { tasks: rows.map((r) => toTask(r, lastRuns.get(r.id))), nextPageToken: rows.length === limit ? String(rows[rows.length - 1].id) : "" };
  }

  async listTaskLogs(req: ListTaskLogsRequest) {
    if (req.taskId < 0n) throw invalidArgument("task_id", "task_id must be positive, or 0 for every task");
    const taskId = req.taskId === 0n ? 0 : requiredId("task_id", req.taskId);
    const limit = pageSize(req.pageSize);
    const filter = {
      taskId,
      beforeId: pageToken(req.pageToken, Number.MAX_SAFE_INTEGER),
      limit,
      state: req.state,
      startedFrom: optionalMs(req.startedFrom),
      startedBefore: optionalMs(req.startedBefore),
    };
    const errorText = maxLength("error_contains", req.errorContains.trim(), 255);
    if (errorText) {
      const found = await searchRunErrors(this.db, filter, errorText);
      return { taskLogs: found.runs.map(toTaskLog), nextPageToken: found.continueBelow === undefined ? "" : String(found.continueBelow) };
    }
    const rows = await listTaskLogs(this.db, filter);
    return { taskLogs: rows.map(toTaskLog), nextPageToken: rows.length === limit ? String(rows[rows.length - 1].id) : "" };
  }

  async previewSchedule(req: PreviewScheduleRequest) {
    return previewSchedule(this.db, req, this.clock.now());
  }

  async getStats() {
    return this.stats();
  }

  private async upsert(srvName: string, fields: TaskFields, now: number, cached = true): Promise<number> {
    const taskServerId = (cached && this.taskServerIds.get(srvName)) || (await findTaskServerId(this.db, srvName));
    if (taskServerId === undefined) throw unregistered(srvName);
    this.taskServerIds.set(srvName, taskServerId);
    try {
      return await upsertTask(this.db, { ...fields, task_server_id: taskServerId }, now);
    } catch (err) {
      if (!(err instanceof TaskServerGone)) throw err;
      this.taskServerIds.delete(srvName);
      // Deleted, and maybe registered again under a new id.
      if (cached) return this.upsert(srvName, fields, now, false);
      throw unregistered(srvName);
    }
  }

  private async existing(id: bigint): Promise<TaskWithServer> {
    const taskId = requiredId("task_id", id);
    const task = await getTask(this.db, taskId);
    if (!task) throw taskNotFound(taskId);
    return task;
  }
}
