import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "./database.js";
import { OPEN_STATES } from "../policy/runStates.js";
import { finishAttempt, latestAttempt, pendingRow } from "./taskLogs.js";
import { forUpdate } from "./dialect.js";
import { transaction } from "./transaction.js";

export type ConfirmResult = "confirmed" | "partly_confirmed" | "already_confirmed" | "conflict" | "late" | "no_run" | "not_async";

const CLOSED_WITHOUT_ANSWER = [RunState.TIMEOUT, RunState.KILLED, RunState.ABORTED, RunState.CANCELED, RunState.PENDING];

// Settles an async run with the task server's verdict. A confirmation may
// overtake the callback's own answer (the task server confirms before it has
// replied), so a RUNNING run can be confirmed too. Repeating the same
// confirmation is harmless; contradicting a recorded one is refused. One
// that comes after the run timed out or was killed is recorded but does not
// revive it. A broadcast run waits for one confirmation per async route.
export async function confirmRun(db: Db, taskId: number, runTimes: number, isSuccess: boolean, extra: string, now: number): Promise<ConfirmResult> {
  return transaction(db, async (tx) => {
    const run = await latestAttempt(tx, taskId, runTimes);
    if (!run) return "no_run";
    const ref = { taskId, runTimes, attempt: run.attempt };
    if (run.confirmed_at !== null && !OPEN_STATES.includes(run.state)) return (run.is_success === 1) === isSuccess ? "already_confirmed" : "conflict";
    if (CLOSED_WITHOUT_ANSWER.includes(run.state)) {
      await tx.kysely.updateTable("task_log").set({ extra, confirmed_at: now }).where("id", "=", run.id).execute();
      return "late";
    }
    if (!OPEN_STATES.includes(run.state)) return "not_async";
    if (isSuccess && run.pending_confirms > 1) {
      await tx.kysely
        .updateTable("task_log")
        .set((eb) => ({ pending_confirms: eb("pending_confirms", "-", 1), extra, confirmed_at: now }))
        .where("id", "=", run.id)
        .execute();
      return "partly_confirmed";
    }
    const fields = { is_success: isSuccess ? 1 : 0, extra, confirmed_at: now, finished_at: now, pending_confirms: 0 };
    const state = isSuccess ? RunState.SUCCEEDED : RunState.FAILED;
    return (await finishAttempt(tx, ref, { state, fields }, OPEN_STATES, now)) ? "confirmed" : "not_async";
  });
}

export type KillResult = "killed" | "no_run" | "not_open";

// Kills the latest attempt of a run if it is open or pending; the scheduler
// cuts its callback in flight when it sees the state.
export async function killRun(db: Db, taskId: number, runTimes: number, now: number): Promise<KillResult> {
  return transaction(db, async (tx) => {
    const run = await latestAttempt(tx, taskId, runTimes);
    if (!run) return "no_run";
    const outcome = { state: RunState.KILLED, fields: { error: "killed through KillRun", finished_at: now } };
    const killed = await finishAttempt(tx, { taskId, runTimes, attempt: run.attempt }, outcome, [...OPEN_STATES, RunState.PENDING], now);
    return killed ? "killed" : "not_open";
  });
}

// What a run may have ended as to be run again: anything but a success.
const RETRYABLE = [RunState.FAILED, RunState.TIMEOUT, RunState.KILLED, RunState.ABORTED, RunState.CANCELED];

export type RetryResult = { attempt: number } | "no_run" | "not_retryable";

// Adds an attempt to a run that ended without success, due now, sending
// what its latest attempt sent; an operator asked for it, so it fires while
// the task is paused too. On MySQL the task's row is locked first and the
// run read after (SQLite writes one transaction at a time), so of two
// retries of one run one adds an attempt and the other sees it.
export async function retryRun(db: Db, taskId: number, runTimes: number, now: number): Promise<RetryResult> {
  return transaction(db, async (tx) => {
    await forUpdate(tx, tx.kysely.selectFrom("task").select("id").where("id", "=", taskId)).execute();
    const run = await tx.kysely
      .selectFrom("task_log")
      .select(["attempt", "state", "arg"])
      .where("task_id", "=", taskId)
      .where("run_times", "=", runTimes)
      .orderBy("attempt", "desc")
      .limit(1)
      .executeTakeFirst();
    if (!run) return "no_run";
    if (!RETRYABLE.includes(run.state)) return "not_retryable";
    const attempt = run.attempt + 1;
    await tx.kysely.insertInto("task_log").values(pendingRow(taskId, runTimes, attempt, now, { arg: run.arg, manual: 1 })).execute();
    return { attempt };
  });
}
