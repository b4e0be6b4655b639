import type { Insertable, Selectable } from "kysely";
import type { AuditLogTable, Db } from "./database.js";
import { containsText } from "./tasks.js";

export type AuditRow = Selectable<AuditLogTable>;
export type NewAuditRow = Omit<Insertable<AuditLogTable>, "id">;

export async function insertAuditEntries(db: Db, rows: NewAuditRow[]): Promise<void> {
  if (rows.length > 0) await db.kysely.insertInto("audit_log").values(rows).execute();
}

export interface AuditFilter {
  beforeId: number;
  limit: number;
  actor?: string;
  // One target, e.g. "task:42".
  target?: string;
}

// Newest first.
export async function listAuditEntries(db: Db, f: AuditFilter): Promise<AuditRow[]> {
  let q = db.kysely.selectFrom("audit_log").selectAll().where("id", "<", f.beforeId);
  if (f.actor) q = q.where("actor", "=", f.actor);
  if (f.target) q = q.where(containsText("targets", `,${f.target},`, true));
  return q.orderBy("id", "desc").limit(f.limit).execute();
}
