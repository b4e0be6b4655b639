import { sql } from "kysely";
import { OverlapPolicy, RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { SlotPlan } from "../policy/planSlot.js";
import { OPEN_STATES } from "../policy/runStates.js";
import type { Db } from "./database.js";
import { forUpdate, updateRows } from "./dialect.js";
import { endedAs, pendingRow } from "./taskLogs.js";
import { inShards, type ShardFilter, type TaskRow } from "./tasks.js";
import { transaction } from "./transaction.js";

export interface ClaimedSlot {
  // The task as it is after the claim (new version, run_times, next_fire_at).
  task: TaskRow;
  // The run fired, if the plan fired one, and when it was due.
  runTimes?: number;
  dueAt: number;
  // Open runs of the task that this claim canceled (CANCEL_PREVIOUS).
  canceled: boolean;
}

// Claims the due slots of a batch of tasks in one transaction of a few
// statements, whatever the batch's size. Each claim is a compare-and-set on
// the version the task was read at: the rows are locked and read first
// (MySQL; SQLite's writer holds the whole database), a task whose version or
// state moved is left out, and only the others are updated. So two
// schedulers (or a scheduler and an API change) can never fire the same
// slot, and a task changed a moment ago is not fired with its old settings.
// `plan` decides each slot; `deadlineFor` bounds the run's callback.
export async function claimSlots(
  db: Db,
  tasks: TaskRow[],
  plan: (task: TaskRow, hasOpenRun: boolean) => SlotPlan,
  deadlineFor: (task: TaskRow) => number,
  shards: ShardFilter,
  now: number,
): Promise<ClaimedSlot[]> {
  if (tasks.length === 0) return [];
  return transaction(db, async (tx) => {
    // In id order, so two schedulers lock rows in the same order.
    const ids = tasks.map((t) => t.id).sort((a, b) => a - b);
    const locked = await forUpdate(tx, tx.kysely.selectFrom("task").select(["id", "version", "state"]).where("id", "in", ids).where(inShards(shards))).execute();
    const current = new Map(locked.map((r) => [r.id, r]));
    const due = tasks.filter((t) => current.get(t.id)?.version === t.version && current.get(t.id)?.state === TaskState.SCHEDULED);
    // Only overlap policies other than ALLOW care, so only they pay the read.
    const busy = await withOpenRuns(tx, due.filter((t) => t.overlap_policy > OverlapPolicy.ALLOW).map((t) => t.id));
    const claimed = due.map((task) => {
      const p = plan(task, busy.has(task.id));
      const after: TaskRow = {
        ...task,
        run_times: task.run_times + (p.fire ? 1 : 0),
        next_fire_at: p.nextFireAt,
        state: p.state,
        queued: p.queue ? 1 : task.queued,
        version: task.version + 1,
      };
      return { plan: p, after, dueAt: task.next_fire_at ?? now, deadlineAt: deadlineFor(task) };
    });
    if (claimed.length === 0) return [];
    const rows = claimed.map((c) => c.after);
    await updateRows(tx, "task", rows, ["run_times", "next_fire_at", "state", "queued", "version"]).execute(tx.kysely);
    for (const c of claimed.filter((c) => c.plan.cancelOpenRuns)) {
      const canceled = await tx.kysely
        .updateTable("task_log")
        .set({ state: RunState.CANCELED, error: "canceled by the next run", finished_at: now })
        .where("task_id", "=", c.after.id)
        .where("state", "in", OPEN_STATES)
        .executeTakeFirst();
      endedAs(tx, c.after, RunState.CANCELED, Number(canceled.numUpdatedRows));
    }
    const runs = claimed.filter((c) => c.plan.fire).map((c) => runningRow(tx, c.after.id, c.after.run_times, 1, c.dueAt, now, c.deadlineAt));
    if (runs.length > 0) await tx.kysely.insertInto("task_log").values(runs).execute();
    return claimed.map((c) => ({ task: c.after, runTimes: c.plan.fire ? c.after.run_times : undefined, dueAt: c.dueAt, canceled: c.plan.cancelOpenRuns }));
  });
}

// Stamped with the node claiming it.
function runningRow(db: Db, taskId: number, runTimes: number, attempt: number, dueAt: number, now: number, deadlineAt: number) {
  return { ...pendingRow(taskId, runTimes, attempt, dueAt), state: RunState.RUNNING, started_at: now, deadline_at: deadlineAt, node_id: db.nodeId };
}

// Which of these tasks have a run open.
async function withOpenRuns(db: Db, taskIds: number[]): Promise<Set<number>> {
  if (taskIds.length === 0) return new Set();
  const rows = await db.kysely.selectFrom("task_log").select("task_id").distinct().where("task_id", "in", taskIds).where("state", "in", OPEN_STATES).execute();
  return new Set(rows.map((r) => r.task_id));
}

// Claims pending attempts (retries, triggered runs): PENDING → RUNNING, a
// compare-and-set on the attempt's state, of a task in `shards`, decided on
// the rows locked and read first as for slots. Returns the ids claimed.
export async function claimAttempts(db: Db, attempts: { logId: number; deadlineAt: number }[], shards: ShardFilter, now: number): Promise<Set<number>> {
  if (attempts.length === 0) return new Set();
  return transaction(db, async (tx) => {
    const ids = attempts.map((a) => a.logId).sort((a, b) => a - b);
    const pending = await forUpdate(
      tx,
      tx.kysely.selectFrom("task_log").select("id").where("id", "in", ids).where("state", "=", RunState.PENDING).where(inShards(shards, "task_log.task_id")),
    ).execute();
    const stillPending = new Set(pending.map((p) => p.id));
    const claimed = attempts.filter((a) => stillPending.has(a.logId)).map((a) => ({ id: a.logId, deadlineAt: a.deadlineAt }));
    if (claimed.length === 0) return new Set();
    await updateRows(tx, "task_log", claimed.map((a) => ({ id: a.id, deadline_at: a.deadlineAt })), ["deadline_at"], {
      also: { state: sql`${RunState.RUNNING}`, started_at: sql`${now}`, node_id: sql`${tx.nodeId}` },
    }).execute(tx.kysely);
    return new Set(claimed.map((a) => a.id));
  });
}
