import { sql } from "kysely";
import type { Clock } from "../../clock.js";
import type { GoTable, SqlDb } from "./goTables.js";

// How long the original's tables are watched before they are taken over. A
// running original writes within about a second when anything is due (its
// scheduler polls once a second and claims with an UPDATE) and at every
// heartbeat; one that has nothing to do writes nothing, but once its tables
// are renamed aside it cannot claim a run here either.
export const QUIET_MS = 3000;

// What each table's aggregates move with, for the message.
const WATCHED: Record<GoTable, { columns: string; what: string }> = {
  task: { columns: "count(*), coalesce(sum(run_times), 0), coalesce(max(updated_at), 0), coalesce(sum(deleted_at <> 0), 0)", what: "tasks were claimed or changed" },
  task_log: { columns: "count(*), coalesce(max(id), 0), coalesce(max(updated_at), 0)", what: "runs were recorded" },
  task_callback_srv: { columns: "count(*), coalesce(max(updated_at), 0), coalesce(max(checked_health_at), 0)", what: "task servers were checked or changed" },
  task_callback_srv_route: { columns: "count(*), coalesce(max(updated_at), 0), coalesce(max(checked_health_at), 0)", what: "routes were checked or changed" },
};

async function fingerprint(db: SqlDb): Promise<Record<string, string>> {
  const parts = Object.entries(WATCHED).map(([table, { columns }]) => `(select concat_ws(',', ${columns}) from \`${table}\`) as \`${table}\``);
  const { rows } = await sql.raw<Record<string, string>>(`select ${parts.join(", ")}`).execute(db.kysely);
  return rows[0]!;
}

export type Quiet = { quiet: true } | { quiet: false; message: string };

// Watches the original's tables (under their own names) for QUIET_MS.
export async function checkQuiet(db: SqlDb, clock: Clock): Promise<Quiet> {
  const before = await fingerprint(db);
  await clock.sleep(QUIET_MS);
  const after = await fingerprint(db);
  const changed = (Object.keys(WATCHED) as GoTable[]).filter((t) => before[t] !== after[t]);
  if (changed.length === 0) return { quiet: true };
  const { rows } = await sql<{ name: string }>`select database() as name`.execute(db.kysely);
  return {
    quiet: false,
    message:
      `easytask (Go) is still running on database "${rows[0]!.name}": in ${QUIET_MS / 1000} s ${changed.map((t) => WATCHED[t].what).join(", ")}. ` +
      `Stop every easytask (Go) node (or at least its scheduler), then start easytask again. Nothing was changed.`,
  };
}
