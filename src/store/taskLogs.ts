import { sql, type Selectable, type Updateable } from "kysely";
import { RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { planFinish } from "../policy/planFinish.js";
import type { RunAnswer, RunOutcome } from "../policy/runOutcome.js";
import { OPEN_STATES } from "../policy/runStates.js";
import type { Db, RunEnd, TaskLogTable } from "./database.js";
import { forUpdate, target, updateRows, type Row } from "./dialect.js";
import { getTasks, inShards, type ShardFilter, type TaskRow } from "./tasks.js";
import { transaction } from "./transaction.js";

export type TaskLogRow = Selectable<TaskLogTable>;

export interface AttemptRef {
  taskId: number;
  runTimes: number;
  attempt: number;
}

export interface Outcome {
  // A terminal state, or ASYNC_WAITING.
  state: RunState;
  fields: Updateable<TaskLogTable>;
}

const answerColumns = (a: RunAnswer) => ({ route: a.route, http_status: a.httpStatus, response: a.response });

// The columns a callback's outcome sets on its attempt.
export function callbackOutcome(o: RunOutcome, now: number): Outcome {
  if (o.state === RunState.ASYNC_WAITING) {
    return { state: o.state, fields: { ...answerColumns(o.answer), error: "", pending_confirms: o.pendingConfirms, deadline_at: o.deadlineAt } };
  }
  return { state: o.state, fields: { ...answerColumns(o.answer), error: o.error, is_success: o.state === RunState.SUCCEEDED ? 1 : 0, extra: o.extra, finished_at: now } };
}

const refKey = (taskId: number, runTimes: number, attempt: number) => `${taskId}:${runTimes}:${attempt}`;

// The attempts named: point lookups on the unique key (task_id, run_times,
// attempt), which both databases answer from the index; `task_id in (…)`
// would read every attempt a long-lived task ever had.
const attemptsNamed = (refs: AttemptRef[]) =>
  sql<boolean>`(${sql.join(
    refs.map((r) => sql`(${sql.ref("task_id")} = ${r.taskId} and ${sql.ref("run_times")} = ${r.runTimes} and ${sql.ref("attempt")} = ${r.attempt})`),
    sql` or `,
  )})`;

export interface Finish {
  ref: AttemptRef;
  outcome: Outcome;
  // When the attempt ended: what follows it (a retry's backoff, a fixed
  // delay) counts from then.
  at: number;
  // The caller's copy of the task, when it has one (only its policy columns
  // are read), saving a read.
  task?: TaskRow;
}

// Ends attempts (or moves them to ASYNC_WAITING) that are still in one of
// `from`, and applies what their tasks' policies plan (planFinish): retry
// attempts, the next fixed-delay slots, queued runs. A few statements for the
// whole batch: the attempts are locked and read, then updated together.
// `now` is when this is written (the change feed reads it). Returns, per
// finish, whether its attempt moved.
export async function finishAttempts(db: Db, finishes: Finish[], from: RunState[], now: number): Promise<boolean[]> {
  if (finishes.length === 0) return [];
  return transaction(db, async (tx) => {
    const open = await forUpdate(
      tx,
      tx.kysely
        .selectFrom("task_log")
        .select(["id", "task_id", "run_times", "attempt", "arg", "manual"])
        .where(attemptsNamed(finishes.map((f) => f.ref)))
        .where("state", "in", from),
    ).execute();
    const rowOf = new Map(open.map((r) => [refKey(r.task_id, r.run_times, r.attempt), r]));
    const moving = finishes.flatMap((f) => {
      const row = rowOf.get(refKey(f.ref.taskId, f.ref.runTimes, f.ref.attempt));
      rowOf.delete(refKey(f.ref.taskId, f.ref.runTimes, f.ref.attempt));
      // A retry sends what its attempt sent, and is as manual as it was.
      return row === undefined ? [] : [{ ...f, id: row.id, run: { arg: row.arg, manual: row.manual } }];
    });
    if (moving.length === 0) return finishes.map(() => false);
    // One statement per set of columns: the outcomes of a kind (ended, or
    // waiting for confirmations) set the same ones.
    const byColumns = new Map<string, Row[]>();
    for (const m of moving) {
      const row: Row = { id: m.id, state: m.outcome.state, ...m.outcome.fields };
      const columns = Object.keys(row).filter((c) => c !== "id").sort().join(",");
      byColumns.set(columns, [...(byColumns.get(columns) ?? []), row]);
    }
    for (const [columns, rows] of byColumns) await updateRows(tx, "task_log", rows, columns.split(",")).execute(tx.kysely);

    const ended = moving.filter((m) => m.outcome.state !== RunState.ASYNC_WAITING);
    const unknown = [...new Set(ended.filter((m) => !m.task).map((m) => m.ref.taskId))];
    const read = new Map((await getTasks(tx, unknown)).map((t) => [t.id, t]));
    const retries = [];
    const delays: { id: number; nextFireAt: number }[] = [];
    const queued: { taskId: number; at: number }[] = [];
    const ends: RunEnd[] = [];
    for (const m of ended) {
      const t = m.task ?? read.get(m.ref.taskId);
      if (!t) continue;
      ends.push({ taskId: t.id, taskServerId: t.task_server_id, state: m.outcome.state });
      const plan = planFinish(t, m.ref.attempt, m.outcome.state, m.at);
      if (plan.retryAt !== undefined) retries.push(pendingRow(m.ref.taskId, m.ref.runTimes, m.ref.attempt + 1, plan.retryAt, m.run));
      if (plan.nextFireAt !== undefined) delays.push({ id: t.id, nextFireAt: plan.nextFireAt });
      if (plan.startQueuedRun) queued.push({ taskId: t.id, at: m.at });
    }
    if (ends.length > 0) tx.runEnds.add(ends);
    if (retries.length > 0) await tx.kysely.insertInto("task_log").values(retries).execute();
    if (delays.length > 0) {
      await updateRows(tx, "task", delays.map((d) => ({ id: d.id, next_fire_at: d.nextFireAt })), ["next_fire_at"], {
        // updated_at: the leader learns of it through the change feed.
        also: { version: sql`${target("version")} + 1`, updated_at: sql`${now}` },
        where: sql`${target("state")} = ${TaskState.SCHEDULED} and ${target("next_fire_at")} is null`,
      }).execute(tx.kysely);
    }
    for (const { taskId, at } of queued) await enqueueRun(tx, taskId, at, true);
    const moved = new Set(moving.map((m) => m.ref));
    return finishes.map((f) => moved.has(f.ref));
  });
}

// finishAttempts for one attempt.
export async function finishAttempt(db: Db, ref: AttemptRef, outcome: Outcome, from: RunState[], now: number, task?: TaskRow): Promise<boolean> {
  const [moved] = await finishAttempts(db, [{ ref, outcome, task, at: now }], from, now);
  return moved;
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
export async function recordLateAnswer(db: Db, ref: AttemptRef, answer: RunAnswer): Promise<void> {
  await db.kysely.updateTable("task_log").set(answerColumns(answer)).where(attemptsNamed([ref])).execute();
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
export async function abortOpenRuns(db: Db, task: { id: number; task_server_id: number }, reason: string, now: number): Promise<number> {
  const result = await db.kysely
    .updateTable("task_log")
    .set({ state: RunState.ABORTED, error: reason, finished_at: now })
    .where("task_id", "=", task.id)
    .where("state", "in", [...OPEN_STATES, RunState.PENDING])
    .executeTakeFirst();
  return endedAs(db, task, RunState.ABORTED, Number(result.numUpdatedRows));
}

// Tells of `count` attempts of a task that ended in `state`; returns count.
export function endedAs(db: Db, task: { id: number; task_server_id: number }, state: RunState, count: number): number {
  if (count > 0) db.runEnds.add(Array.from({ length: count }, () => ({ taskId: task.id, taskServerId: task.task_server_id, state })));
  return count;
}

// Open attempts past their deadline: the answer or confirmation never came
// (or the leader calling it died).
export async function listExpiredRuns(db: Db, now: number, shards: ShardFilter, limit: number): Promise<(TaskLogRow & { task_server_id: number })[]> {
  return db.kysely
    .selectFrom("task_log")
    .innerJoin("task", "task.id", "task_log.task_id")
    .selectAll("task_log")
    .select("task.task_server_id")
    .where("task_log.state", "in", OPEN_STATES)
    .where("task_log.deadline_at", "<=", now)
    .where(inShards(shards))
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

// Retries and triggered runs of the shards due by `until`, with their task
// (its arg replaced by the run's own, if it has one); those of paused or
// stopped tasks wait, but for runs an operator asked for on a paused task.
export async function listPendingAttempts(db: Db, until: number, shards: ShardFilter, limit: number): Promise<PendingAttempt[]> {
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
    .where(inShards(shards))
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
