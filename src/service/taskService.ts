import type { ServiceImpl } from "@connectrpc/connect";
import { ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import {
  type AddTaskRequest,
  AddTaskRequestSchema,
  type BulkTaskActionRequest,
  type ConfirmTaskRequest,
  ConfirmTaskRequestSchema,
  type DeleteTaskRequest,
  type GetTaskHistoryRequest,
  type GetTaskRequest,
  type KillRunRequest,
  type ListTaskLogsRequest,
  type ListTasksRequest,
  ListTasksRequestSchema,
  type PauseTaskRequest,
  type PreviewScheduleRequest,
  type ResumeTaskRequest,
  type RetryRunRequest,
  type StopTaskRequest,
  type TriggerTaskRequest,
  TriggerTaskRequestSchema,
  ListTaskLogsRequestSchema,
  TaskService,
  TaskState,
} from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "../store/database.js";
import { confirmRun, killRun, retryRun } from "../store/runControl.js";
import { searchRunErrors } from "../store/runSearch.js";
import { enqueueRun, latestRuns, listTaskLogs } from "../store/taskLogs.js";
import { findTaskServerId } from "../store/taskServers.js";
import { GroupCommit } from "../store/groupCommit.js";
import { getTask, listTasks, upsertTasksOfLiveServers, type TaskFields, type TaskWithServer } from "../store/tasks.js";
import { DomainError, invalidArgument, taskNotFound, taskServerNotFound } from "./errors.js";
import type { Clock } from "../clock.js";
import type { TaskEvents } from "./ports.js";
import { limitOf } from "./limits.js";
import { bulkTaskAction } from "./bulkTaskAction.js";
import { getTaskHistory } from "./taskHistory.js";
import { taskFromRequest } from "./taskInput.js";
import { ALL_STATES, pause, remove, resume, stop, type StateDeps } from "./taskStates.js";
import { previewSchedule } from "./schedulePreview.js";
import { sharedStats } from "./stats.js";
import { toTask, toTaskLog } from "./taskMessages.js";
import { optionalMs } from "./timestamps.js";
import { maxBytes, maxLength, pageSize, pageToken, required, requiredId } from "./validate.js";

// The task server's note on a confirmation, kept in the run log.
const MAX_EXTRA_BYTES = limitOf(ConfirmTaskRequestSchema, "extra", "maxBytes");
const MAX_SRV_NAME = limitOf(AddTaskRequestSchema, "srv_name", "maxChars");
const MAX_QUERY = limitOf(ListTasksRequestSchema, "query", "maxChars");
const MAX_RUN_ARG_BYTES = limitOf(TriggerTaskRequestSchema, "arg", "maxBytes");
const MAX_ERROR_TEXT = limitOf(ListTaskLogsRequestSchema, "error_contains", "maxChars");

const unregistered = (srvName: string) => taskServerNotFound(`task server ${srvName} not found: register it with add_task_server first`);

const wrongState = (taskId: number, message: string) => new DomainError(ErrorReason.TASK_STATE, `task ${taskId} ${message}`, "task_id");

export class TaskServiceImpl implements ServiceImpl<typeof TaskService> {
  // Task server ids by name, saving a read per AddTask. Task servers are
  // never renamed; one deleted since is found out by the write (upsert).
  private readonly taskServerIds = new Map<string, number>();

  private readonly stats: ReturnType<typeof sharedStats>;
  // Concurrent AddTask calls are written together (group commit).
  private readonly adds: GroupCommit<TaskFields, number | undefined>;

  private readonly states: StateDeps;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly events: TaskEvents,
  ) {
    this.states = { db, clock, events };
    this.stats = sharedStats(db, clock);
    this.adds = new GroupCommit(db, (tx, tasks) => upsertTasksOfLiveServers(tx, tasks, clock.now()));
  }

  async addTask(req: AddTaskRequest) {
    const srvName = maxLength("srv_name", required("srv_name", req.srvName), MAX_SRV_NAME);
    const now = this.clock.now();
    // Every field is checked before the task server is looked up, so a bad
    // request gets the same answer whether or not the server exists.
    const fields = taskFromRequest(req, 0, now);
    const id = await this.upsert(srvName, fields);
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
    if (result === "needs_schedule") throw wrongState(task.id, `cannot be resumed: ${task.paused_reason}`);
    if (result === "finished") throw wrongState(task.id, "has finished: add it again with AddTask to schedule it anew");
    if (result === "changed") throw wrongState(task.id, "changed while resuming; try again");
    return {};
  }

  // Also while paused or finished: an operator asks for this one run.
  async triggerTask(req: TriggerTaskRequest) {
    const arg = req.arg === undefined ? null : maxBytes("arg", req.arg, MAX_RUN_ARG_BYTES);
    const task = await this.existing(req.taskId);
    if (task.state === TaskState.STOPPED) throw wrongState(task.id, "is stopped: resume it before running it");
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
    if (!(await getTask(this.db, taskId))) throw taskNotFound(taskId);
    const result = await confirmRun(this.db, taskId, req.taskRunTimes, req.isSuccess, req.extra, this.clock.now());
    switch (result) {
      case "confirmed":
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
    const query = maxLength("query", req.query.trim(), MAX_QUERY);
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
    const errorText = maxLength("error_contains", req.errorContains.trim(), MAX_ERROR_TEXT);
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

  // Writes the task (with the concurrent AddTask calls) for its task server,
  // looked up once per name; one deleted since the lookup is found out by
  // the write, and the name looked up again (it may be registered anew).
  private async upsert(srvName: string, fields: TaskFields, cached = true): Promise<number> {
    const taskServerId = (cached && this.taskServerIds.get(srvName)) || (await findTaskServerId(this.db, srvName));
    if (taskServerId === undefined) throw unregistered(srvName);
    this.taskServerIds.set(srvName, taskServerId);
    const id = await this.adds.run({ ...fields, task_server_id: taskServerId });
    if (id !== undefined) return id;
    this.taskServerIds.delete(srvName);
    if (cached) return this.upsert(srvName, fields, false);
    throw unregistered(srvName);
  }

  private async existing(id: bigint): Promise<TaskWithServer> {
    const taskId = requiredId("task_id", id);
    const task = await getTask(this.db, taskId);
    if (!task) throw taskNotFound(taskId);
    return task;
  }
}
