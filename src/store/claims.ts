import { OverlapPolicy, RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { SlotPlan } from "../policy/planSlot.js";
import type { Db } from "./database.js";
import { OPEN_STATES } from "../policy/runStates.js";
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

// Claims the due slots of a batch of tasks in one transaction. Each claim is
// a compare-and-set on the version the task was read at, so two schedulers
// (or a scheduler and an API change) can never fire the same slot, and a
// task changed a moment ago is not fired with its old settings. Tasks whose
// claim fails are left out of the result. `plan` decides each slot;
// `deadlineFor` bounds the run's callback.
export async function claimSlots(
  db: Db,
  tasks: TaskRow[],
  plan: (task: TaskRow, hasOpenRun: boolean) => SlotPlan,
  deadlineFor: (task: TaskRow) => number,
  shards: ShardFilter,
  now: number,
): Promise<ClaimedSlot[]> {
  return transaction(db, async (tx) => {
    const claimed: ClaimedSlot[] = [];
    const runs = [];
    // In id order, so two schedulers lock rows in the same order.
    for (const task of [...tasks].sort((a, b) => a.id - b.id)) {
      // Only overlap policies other than ALLOW care, so only they pay the read.
      const hasOpenRun = task.overlap_policy > OverlapPolicy.ALLOW && (await hasOpenRuns(tx, task.id));
      const p = plan(task, hasOpenRun);
      const after: TaskRow = {
        ...task,
        run_times: task.run_times + (p.fire ? 1 : 0),
        next_fire_at: p.nextFireAt,
        state: p.state,
        queued: p.queue ? 1 : task.queued,
        version: task.version + 1,
      };
      const updated = await tx.kysely
        .updateTable("task")
        .set({ run_times: after.run_times, next_fire_at: after.next_fire_at, state: after.state, queued: after.queued, version: after.version })
        .where("id", "=", task.id)
        .where("version", "=", task.version)
        .where("state", "=", TaskState.SCHEDULED)
        .where(inShards(shards))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) continue;
      if (p.cancelOpenRuns) {
        const canceled = await tx.kysely
          .updateTable("task_log")
          .set({ state: RunState.CANCELED, error: "canceled by the next run", finished_at: now })
          .where("task_id", "=", task.id)
          .where("state", "in", OPEN_STATES)
          .executeTakeFirst();
        endedAs(tx, task.task_server_id, RunState.CANCELED, Number(canceled.numUpdatedRows));
      }
      const dueAt = task.next_fire_at ?? now;
      if (p.fire) runs.push(runningRow(tx, task.id, after.run_times, 1, dueAt, now, deadlineFor(task)));
      claimed.push({ task: after, runTimes: p.fire ? after.run_times : undefined, dueAt, canceled: p.cancelOpenRuns });
    }
    if (runs.length > 0) await tx.kysely.insertInto("task_log").values(runs).execute();
    return claimed;
  });
}

// Stamped with the node claiming it.
function runningRow(db: Db, taskId: number, runTimes: number, attempt: number, dueAt: number, now: number, deadlineAt: number) {
  return { ...pendingRow(taskId, runTimes, attempt, dueAt), state: RunState.RUNNING, started_at: now, deadline_at: deadlineAt, node_id: db.nodeId };
}

async function hasOpenRuns(db: Db, taskId: number): Promise<boolean> {
  const row = await db.kysely.selectFrom("task_log").select("id").where("task_id", "=", taskId).where("state", "in", OPEN_STATES).limit(1).executeTakeFirst();
  return row !== undefined;
}

// Claims pending attempts (retries, triggered runs): PENDING → RUNNING, a
// compare-and-set on the attempt's state, of a task in `shards`. Returns the
// ids claimed.
export async function claimAttempts(db: Db, attempts: { logId: number; deadlineAt: number }[], shards: ShardFilter, now: number): Promise<Set<number>> {
  return transaction(db, async (tx) => {
    const claimed = new Set<number>();
    for (const a of [...attempts].sort((x, y) => x.logId - y.logId)) {
      const updated = await tx.kysely
        .updateTable("task_log")
        .set({ state: RunState.RUNNING, started_at: now, deadline_at: a.deadlineAt, node_id: tx.nodeId })
        .where("id", "=", a.logId)
        .where("state", "=", RunState.PENDING)
        .where(inShards(shards, "task_log.task_id"))
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 1) claimed.add(a.logId);
    }
    return claimed;
  });
}
