import { TaskState } from "../../gen/easytask/v1/task_pb.js";
import { scheduleOfTask } from "../calendar/taskSchedule.js";
import type { Clock } from "../clock.js";
import type { Db } from "../store/database.js";
import { abortOpenRuns } from "../store/taskLogs.js";
import { deleteTask, getTasks, setTaskState, type TaskWithServer } from "../store/tasks.js";
import { transaction } from "../store/transaction.js";
import type { TaskEvents } from "./ports.js";
import { firstFire } from "./taskInput.js";

// A task moved between states, by the single-task RPCs and BulkTaskAction
// alike. Each says whether it changed the task.

export interface StateDeps {
  db: Db;
  clock: Clock;
  events: TaskEvents;
}

export const ALL_STATES = [TaskState.SCHEDULED, TaskState.PAUSED, TaskState.FINISHED, TaskState.STOPPED];

export function pause(deps: StateDeps, taskId: number): Promise<boolean> {
  return setTaskState(deps.db, taskId, [TaskState.SCHEDULED], TaskState.PAUSED, null, deps.clock.now());
}

// "needs_schedule": paused for want of a schedule (paused_reason): AddTask
// gives it one. "changed": the task changed state meanwhile.
export type Resumed = "resumed" | "already_scheduled" | "needs_schedule" | "finished" | "changed";

// Schedules a paused or stopped task again from now.
export async function resume(deps: StateDeps, task: TaskWithServer): Promise<Resumed> {
  if (task.state === TaskState.SCHEDULED) return "already_scheduled";
  if (task.paused_reason) return "needs_schedule";
  if (task.state === TaskState.FINISHED) return "finished";
  const now = deps.clock.now();
  const next = firstFire(scheduleOfTask(task), task, now);
  if (!(await setTaskState(deps.db, task.id, [TaskState.PAUSED, TaskState.STOPPED], TaskState.SCHEDULED, next, now))) return "changed";
  deps.events.taskChanged(task.id, next);
  return "resumed";
}

// Stops a task in one of `from` and aborts its open runs.
export async function stop(deps: StateDeps, taskId: number, from: TaskState[]): Promise<boolean> {
  const now = deps.clock.now();
  const stopped = await transaction(deps.db, async (tx) => {
    if (!(await setTaskState(tx, taskId, from, TaskState.STOPPED, null, now))) return false;
    const [task] = await getTasks(tx, [taskId]);
    await abortOpenRuns(tx, task!, "task stopped", now);
    return true;
  });
  if (stopped) deps.events.taskStopped(taskId);
  return stopped;
}

export async function remove(deps: StateDeps, taskId: number): Promise<boolean> {
  const deleted = await deleteTask(deps.db, taskId);
  if (deleted) deps.events.taskStopped(taskId);
  return deleted;
}
