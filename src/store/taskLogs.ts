import type { Selectable, Updateable } from "kysely";
import { OverlapPolicy, RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { retryDelayMs } from "../policy/retryDelay.js";
import type { Db, TaskLogTable } from "./database.js";
import { getTasks, inShard, type Shard, type TaskRow } from "./tasks.js";
import { transaction } from "./transaction.js";

export type TaskLogRow = Selectable<TaskLogTable>;

export interface AttemptRef {
  taskId: number;
  runTimes: number;
  attempt: number;
}

export const OPEN_STATES = [RunState.RUNNING, RunState.ASYNC_WAITING];
const RETRIED_STATES = [RunState.FAILED, RunState.TIMEOUT];

export interface Outcome {
  // A terminal state, or ASYNC_WAITING.
  state: RunState;
  fields: Updateable<TaskLogTable>;
}

const byRef = (ref: AttemptRef) => (db: Db) =>
  db.kysely.updateTable("task_log").where("task_id", "=", ref.taskId).where("run_times", "=", ref.runTimes).where("attempt", "=", ref.attempt);

// Ends an attempt (or moves it to ASYNC_WAITING) if it is still in one of
// `from`, and then does what its task's policies ask for: a retry attempt,
// the next fixed-delay slot, a queued run. Returns whether it moved.
// `task` is the caller's copy of the task when it has one (only its policy
// columns are read), saving a read.
export async function finishAttempt(db: Db, ref: AttemptRef, outcome: Outcome, from: RunState[], now: number, task?: TaskRow): Promise<boolean> {
  return transaction(db, async (tx) => {
    const moved = await byRef(ref)(tx)
      .set({ ...outcome.fields, state: outcome.state })
      .where("state", "in", from)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return false;
    if (outcome.state === RunState.ASYNC_WAITING) return true;
    const t = task ?? (await getTasks(tx, [ref.taskId]))[0];
    if (!t) return true;
    if (RETRIED_STATES.includes(outcome.state) && ref.attempt <= t.max_retries && t.state !== TaskState.STOPPED) {
      // The retry sends what the attempt sent, and is as manual as it was.
      const run = await tx.kysely.selectFrom("task_log").select(["arg", "manual"]).where("task_id", "=", ref.taskId).where("run_times", "=", ref.runTimes).where("attempt", "=", ref.attempt).executeTakeFirst();
      await tx.kysely
        .insertInto("task_log")
        .values(pendingRow(ref.taskId, ref.runTimes, ref.attempt + 1, now + retryDelayMs(t, ref.attempt), run))
        .execute();
      return true;
    }
    if (t.sched_mode === SchedMode.FIXED_DELAY) {
      await tx.kysely
        .updateTable("task")
        // updated_at: the leader learns of it through the change feed.
        .set((eb) => ({ next_fire_at: now + t.time_interval_sec * 1000, version: eb("version", "+", 1), updated_at: now }))
        .where("id", "=", t.id)
        .where("state", "=", TaskState.SCHEDULED)
        .where("next_fire_at", "is", null)
        .execute();
    }
    if (t.overlap_policy === OverlapPolicy.QUEUE_ONE) await enqueueRun(tx, t.id, now, true);
    return true;
  });
}

// A run outside the schedule: asked for by an operator (TriggerTask,
// RetryRun), maybe with its own arg.
export interface RunOptions {
  arg: string | null;
  manual: number;
}

export function pendingRow(taskId: number, runTimes: number, attempt: number, dueAt: number, options?: RunOptions) {
  return {
    ...options,
    task_id: taskId,
    run_times: runTimes,
    attempt,
    state: RunState.PENDING,
    route: "",
    http_status: 0,
    response: "",
    error: "",
    is_success: 0,
    extra: "",
    due_at: dueAt,
    started_at: dueAt,
  };
}

// Records an answer that came too late to decide the attempt (it was
// killed, aborted or confirmed meanwhile), so the run log still shows it.
export async function recordLateAnswer(db: Db, ref: AttemptRef, fields: Updateable<TaskLogTable>): Promise<void> {
  await byRef(ref)(db).set(fields).execute();
}

// The latest attempt of a run.
export async function latestAttempt(db: Db, taskId: number, runTimes: number): Promise<TaskLogRow | undefined> {
  return db.kysely
    .selectFrom("task_log")
    .selectAll()
    .where("task_id", "=", taskId)
    .where("run_times", "=", runTimes)
    .orderBy("attempt", "desc")
    .limit(1)
    .executeTakeFirst();
}

// Ends the task's open and pending attempts (the task was stopped or is
// being deleted). Returns how many.
export async function abortOpenRuns(db: Db, taskId: number, reason: string, now: number): Promise<number> {
  const result = await db.kysely
    .updateTable("task_log")
    .set({ state: RunState.ABORTED, error: reason, finished_at: now })
    .where("task_id", "=", taskId)
    .where("state", "in", [...OPEN_STATES, RunState.PENDING])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

// Open attempts past their deadline: the answer or confirmation never came
// (or the leader calling it died).
export async function listExpiredRuns(db: Db, now: number, shard: Shard, limit: number): Promise<(TaskLogRow & { task_server_id: number })[]> {
  return db.kysely
    .selectFrom("task_log")
    .innerJoin("task", "task.id", "task_log.task_id")
    .selectAll("task_log")
    .select("task.task_server_id")
    .where("task_log.state", "in", OPEN_STATES)
    .where("task_log.deadline_at", "<=", now)
    .where(inShard(shard))
    .limit(limit)
    .execute();
}

export interface InFlightRef extends AttemptRef {
  startedAt: number;
}

// Which of these attempts are no longer RUNNING (killed, aborted, timed out
// through another node), so their callbacks in flight can be cut.
export async function closedAmong(db: Db, refs: InFlightRef[]): Promise<InFlightRef[]> {
  if (refs.length === 0) return [];
  const rows = await db.kysely
    .selectFrom("task_log")
    .select(["task_id", "run_times", "attempt"])
    .where("task_id", "in", [...new Set(refs.map((r) => r.taskId))])
    .where("state", "<>", RunState.RUNNING)
    .where("started_at", ">=", Math.min(...refs.map((r) => r.startedAt)))
    .execute();
  const closed = new Set(rows.map((r) => `${r.task_id}:${r.run_times}:${r.attempt}`));
  return refs.filter((r) => closed.has(`${r.taskId}:${r.runTimes}:${r.attempt}`));
}

export interface PendingAttempt {
  logId: number;
  runTimes: number;
  attempt: number;
  dueAt: number;
  task: TaskRow;
}

// Retries and triggered runs of the shard due by `until`, with their task
// (its arg replaced by the run's own, if it has one); those of paused or
// stopped tasks wait, but for runs an operator asked for on a paused task.
export async function listPendingAttempts(db: Db, until: number, shard: Shard, limit: number): Promise<PendingAttempt[]> {
  const rows = await db.kysely
    .selectFrom("task_log")
    .innerJoin("task", "task.id", "task_log.task_id")
    .selectAll("task")
    .select(["task_log.id as log_id", "task_log.run_times as log_run_times", "task_log.attempt as log_attempt", "task_log.due_at as log_due_at", "task_log.arg as log_arg"])
    .where("task_log.state", "=", RunState.PENDING)
    .where("task_log.due_at", "<=", until)
    .where((eb) =>
      eb.or([eb("task.state", "in", [TaskState.SCHEDULED, TaskState.FINISHED]), eb.and([eb("task.state", "=", TaskState.PAUSED), eb("task_log.manual", "=", 1)])]),
    )
    .where(inShard(shard))
    .limit(limit)
    .execute();
  return rows.map(({ log_id, log_run_times, log_attempt, log_due_at, log_arg, ...task }) => ({
    logId: log_id,
    runTimes: log_run_times,
    attempt: log_attempt,
    dueAt: log_due_at,
    task: { ...task, arg: log_arg ?? task.arg },
  }));
}

export interface RunFilter {
  beforeId: number;
  limit: number;
  // 0: every task.
  taskId: number;
  state?: number;
  startedFrom?: number;
  startedBefore?: number;
}

export type RunWithTask = TaskLogRow & { task_name: string };

// The runs a filter selects (its limit aside), for a query to go on from.
export function runsMatching(db: Db, f: Omit<RunFilter, "limit">) {
  let q = db.kysely.selectFrom("task_log").where("id", "<", f.beforeId);
  if (f.taskId) q = q.where("task_id", "=", f.taskId);
  if (f.state) q = q.where("state", "=", f.state);
  if (f.startedFrom !== undefined) q = q.where("started_at", ">=", f.startedFrom);
  if (f.startedBefore !== undefined) q = q.where("started_at", "<", f.startedBefore);
  return q;
}

// Runs newest first (by id), with their task's name.
export async function listTaskLogs(db: Db, f: RunFilter): Promise<RunWithTask[]> {
  return withTaskNames(db, await runsMatching(db, f).selectAll().orderBy("id", "desc").limit(f.limit).execute());
}

// The names are read after, for the page's tasks: joined, MySQL may start
// from the task table and sort every run.
export async function withTaskNames(db: Db, rows: TaskLogRow[]): Promise<RunWithTask[]> {
  const taskIds = [...new Set(rows.map((r) => r.task_id))];
  const names = taskIds.length ? await db.kysely.selectFrom("task").select(["id", "name"]).where("id", "in", taskIds).execute() : [];
  const nameOf = new Map(names.map((t) => [t.id, t.name]));
  return rows.map((r) => ({ ...r, task_name: nameOf.get(r.task_id) ?? "" }));
}

// The latest attempt of each of these tasks that has one, keyed by task id.
export async function latestRuns(db: Db, taskIds: number[]): Promise<Map<number, TaskLogRow>> {
  if (taskIds.length === 0) return new Map();
  const rows = await db.kysely
    .selectFrom("task_log")
    .selectAll()
    .where("id", "in", (eb) => eb.selectFrom("task_log").select((e) => e.fn.max("id").as("id")).where("task_id", "in", taskIds).groupBy("task_id"))
    .execute();
  return new Map(rows.map((r) => [r.task_id, r]));
}

// Adds a run outside the schedule, due now, for the scheduler to pick up
// (TriggerTask, or the run a QUEUE_ONE task queued while busy when
// `onlyIfQueued`). Returns its run_times, or undefined when the task is
// missing (or had nothing queued).
export async function enqueueRun(db: Db, taskId: number, now: number, onlyIfQueued = false, options?: RunOptions): Promise<number | undefined> {
  return transaction(db, async (tx) => {
    let update = tx.kysely
      .updateTable("task")
      .set((eb) => ({ run_times: eb("run_times", "+", 1), queued: 0, version: eb("version", "+", 1) }))
      .where("id", "=", taskId);
    if (onlyIfQueued) update = update.where("queued", "=", 1).where("state", "=", TaskState.SCHEDULED);
    if (Number((await update.executeTakeFirst()).numUpdatedRows) !== 1) return undefined;
    const { run_times } = await tx.kysely.selectFrom("task").select("run_times").where("id", "=", taskId).executeTakeFirstOrThrow();
    await tx.kysely.insertInto("task_log").values(pendingRow(taskId, run_times, 1, now, options)).execute();
    return run_times;
  });
}
