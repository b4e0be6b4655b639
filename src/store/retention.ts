import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "./database.js";
import { inShards, type ShardFilter } from "./tasks.js";

// States no one comes back to: not open, not waiting to be retried or
// confirmed (a confirmation after a timeout is only recorded on the row).
export const FINISHED_STATES = [RunState.SUCCEEDED, RunState.FAILED, RunState.TIMEOUT, RunState.ABORTED, RunState.KILLED, RunState.CANCELED];

// Deletes up to `limit` finished runs of tasks in `shards` started before
// `cutoff`, oldest first, by primary key: each statement touches a bounded set of rows, so it holds
// its locks briefly. Returns how many went.
export async function deleteFinishedRunsBefore(db: Db, cutoff: number, limit: number, shards: ShardFilter): Promise<number> {
  const rows = await db.kysely
    .selectFrom("task_log")
    .select("id")
    .where("started_at", "<", cutoff)
    .where("state", "in", FINISHED_STATES)
    .where(inShards(shards, "task_log.task_id"))
    .orderBy("started_at")
    .limit(limit)
    .execute();
  if (rows.length === 0) return 0;
  const result = await db.kysely
    .deleteFrom("task_log")
    .where("id", "in", rows.map((r) => r.id))
    // A row read a moment ago cannot have reopened, but the delete says what it means.
    .where("state", "in", FINISHED_STATES)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

// Deletes up to `limit` audit entries or alerts made before `cutoff`, oldest
// first. Returns how many went.
export async function deleteRecordsBefore(db: Db, table: "audit_log" | "alert", cutoff: number, limit: number): Promise<number> {
  const rows = await db.kysely.selectFrom(table).select("id").where("at", "<", cutoff).orderBy("at").limit(limit).execute();
  if (rows.length === 0) return 0;
  const result = await db.kysely
    .deleteFrom(table)
    .where("id", "in", rows.map((r) => r.id))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
