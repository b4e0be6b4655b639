import type { Insertable, Selectable } from "kysely";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { AlertTable, Db } from "./database.js";
import { insertUnlessDuplicate } from "./dialect.js";

export type AlertRow = Selectable<AlertTable>;
export type NewAlert = Omit<Insertable<AlertTable>, "id">;

// Records an alert, unless one with the same open_key is open (another node
// raised it first). Returns its id, or undefined when it was not new.
export async function raiseAlert(db: Db, alert: NewAlert): Promise<number | undefined> {
  return insertUnlessDuplicate(db, db.kysely.insertInto("alert").values(alert), ["open_key"]);
}

// The condition is over (the streak broke): a new one raises a new alert.
export async function closeAlert(db: Db, openKey: string): Promise<void> {
  await db.kysely.updateTable("alert").set({ open_key: null }).where("open_key", "=", openKey).execute();
}

export async function setDelivery(db: Db, alertId: number, delivery: number, error: string): Promise<void> {
  await db.kysely.updateTable("alert").set({ delivery, delivery_error: error }).where("id", "=", alertId).execute();
}

// Newest first.
export async function listAlerts(db: Db, beforeId: number, limit: number): Promise<AlertRow[]> {
  return db.kysely.selectFrom("alert").selectAll().where("id", "<", beforeId).orderBy("id", "desc").limit(limit).execute();
}

const FAILED = [RunState.FAILED, RunState.TIMEOUT];
const OPEN = [RunState.RUNNING, RunState.ASYNC_WAITING, RunState.PENDING];
const PAGE = 200;

export interface FailingStreak {
  // Runs that failed or timed out since the task's last success, counted up
  // to the number asked for.
  runs: number;
  // The error of the latest of them.
  lastError: string;
}

// How many of the task's latest runs failed in a row (judged by each run's
// latest attempt; runs still open are passed over, and runs killed, aborted
// or canceled neither count nor break the streak; a success ends it).
// Reads newest first and stops at `atLeast`.
export async function failingStreak(db: Db, taskId: number, atLeast: number): Promise<FailingStreak> {
  const streak: FailingStreak = { runs: 0, lastError: "" };
  let before = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = await db.kysely
      .selectFrom("task_log")
      .select(["run_times", "state", "error"])
      .where("task_id", "=", taskId)
      .where("run_times", "<", before)
      .orderBy("run_times", "desc")
      .orderBy("attempt", "desc")
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      // Older attempts of a run already judged by its latest.
      if (row.run_times >= before) continue;
      before = row.run_times;
      if (OPEN.includes(row.state)) continue;
      if (row.state === RunState.SUCCEEDED) return streak;
      if (!FAILED.includes(row.state)) continue;
      if (streak.runs === 0) streak.lastError = row.error;
      if (++streak.runs >= atLeast) return streak;
    }
    if (rows.length < PAGE) return streak;
  }
}
