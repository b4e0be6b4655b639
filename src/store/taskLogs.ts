import type { Selectable } from "kysely";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Db, TaskLogTable } from "./database.js";

export type TaskLogRow = Selectable<TaskLogTable>;

export interface RunRef {
  taskId: number;
  runTimes: number;
  attempt: number;
}

export interface CallbackResult extends RunRef {
  state: RunState;
  route: string;
  httpStatus: number;
  response: string;
  error: string;
  isSuccess: boolean;
  extra: string;
  finishedAt: number;
}

// Records what the task server answered. The answer itself is always kept;
// the outcome only while the run is still RUNNING, because a stop may have
// aborted it or an early ConfirmTask may have settled it meanwhile.
export async function recordCallbackResult(db: Db, r: CallbackResult): Promise<void> {
  await db.kysely
    .updateTable("task_log")
    .set((eb) => {
      const ifRunning = <C extends "is_success" | "extra" | "finished_at" | "state">(column: C, value: NonNullable<TaskLogRow[C]>) =>
        eb.case().when("state", "=", RunState.RUNNING).then(value).else(eb.ref(column)).end() as unknown as TaskLogRow[C];
      const settled =
        r.state === RunState.ASYNC_WAITING
          ? {}
          : { is_success: ifRunning("is_success", r.isSuccess ? 1 : 0), extra: ifRunning("extra", r.extra), finished_at: ifRunning("finished_at", r.finishedAt) };
      // `state` goes last: MySQL evaluates SET left to right, so the
      // conditions above must still see the old state.
      return { route: r.route, http_status: r.httpStatus, response: r.response, error: r.error, ...settled, state: ifRunning("state", r.state) };
    })
    .where("task_id", "=", r.taskId)
    .where("run_times", "=", r.runTimes)
    .where("attempt", "=", r.attempt)
    .execute();
}

// Marks the task's in-flight runs aborted (the task was stopped).
export async function abortRunningRuns(db: Db, taskId: number, reason: string, now: number): Promise<number> {
  const result = await db.kysely
    .updateTable("task_log")
    .set({ state: RunState.ABORTED, error: reason, finished_at: now })
    .where("task_id", "=", taskId)
    .where("state", "=", RunState.RUNNING)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export type ConfirmResult = "confirmed" | "already_confirmed" | "conflict" | "no_run" | "not_async";

// Settles an async run with the task server's verdict. The confirmation may
// overtake the callback's own answer (the task server confirms before it has
// replied), so a RUNNING run can be confirmed too. Repeating the same
// confirmation is harmless; contradicting a recorded one is refused.
// The write comes first so that a SQLite transaction never has to upgrade a
// read lock, which another process's write would make fail at once.
export async function confirmRun(db: Db, taskId: number, runTimes: number, isSuccess: boolean, extra: string, now: number): Promise<ConfirmResult> {
  return db.kysely.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("task_log")
      .set({
        state: isSuccess ? RunState.SUCCEEDED : RunState.FAILED,
        is_success: isSuccess ? 1 : 0,
        extra,
        confirmed_at: now,
        finished_at: now,
      })
      .where("task_id", "=", taskId)
      .where("run_times", "=", runTimes)
      .where("state", "in", [RunState.RUNNING, RunState.ASYNC_WAITING])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return "confirmed";
    const run = await trx
      .selectFrom("task_log")
      .select(["is_success", "confirmed_at"])
      .where("task_id", "=", taskId)
      .where("run_times", "=", runTimes)
      .orderBy("attempt", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!run) return "no_run";
    if (run.confirmed_at === null) return "not_async";
    return (run.is_success === 1) === isSuccess ? "already_confirmed" : "conflict";
  });
}

export async function listTaskLogs(db: Db, taskId: number, beforeId: number, limit: number): Promise<TaskLogRow[]> {
  return db.kysely
    .selectFrom("task_log")
    .selectAll()
    .where("task_id", "=", taskId)
    .where("id", "<", beforeId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}
