import { sql } from "kysely";
import type { Db } from "../database.js";

// What reading and copying need of a Db (MySQL's: the original ran on
// nothing else): no transaction of easytask's own.
export type SqlDb = Pick<Db, "kysely" | "dialect">;

// The Go original's tables (as its gorm AutoMigrate names them), and the
// names they are kept under once easytask has taken the database over. Two
// of them share a name with easytask's own tables, hence the renaming.
export const GO_TABLES = ["task", "task_log", "task_callback_srv", "task_callback_srv_route"] as const;
export type GoTable = (typeof GO_TABLES)[number];
export const renamed = (table: GoTable) => `easytask_go_${table}`;
// One row, written in the transaction that copies the data: the import is
// done exactly when it exists.
export const IMPORT_MARKER = "easytask_go_import";

export type DatabaseKind =
  // Nothing of the original: a fresh database or easytask's own.
  | { kind: "none" }
  // The original's tables under their own names: to be migrated.
  | { kind: "go" }
  // Renamed aside, their copy not committed yet (a migration was cut short).
  | { kind: "renamed" }
  | { kind: "imported"; importedAt: number }
  | { kind: "conflict"; problem: string };

const columnsOf = async (db: SqlDb, table: string): Promise<Set<string>> => {
  const { rows } = await sql<{ name: string }>`select column_name as name from information_schema.columns where table_schema = database() and table_name = ${table}`.execute(db.kysely);
  return new Set(rows.map((r) => r.name.toLowerCase()));
};

// What a MySQL database holds, from its table and column names alone.
export async function inspectDatabase(db: SqlDb): Promise<DatabaseKind> {
  const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = database()`.execute(db.kysely);
  const tables = new Set(rows.map((r) => r.name.toLowerCase()));
  const task = tables.has("task") ? await columnsOf(db, "task") : new Set<string>();
  const goInPlace = task.has("time_cron_expr") || tables.has("task_callback_srv");
  const aside = GO_TABLES.filter((t) => tables.has(renamed(t)));
  if (task.has("time_cron_expr") && task.has("version")) {
    return {
      kind: "conflict",
      problem:
        "table task has the columns of both easytask and easytask (Go): easytask (Go) was started on this database after it was migrated, and its gorm AutoMigrate altered easytask's tables. Restore the database from a backup taken before, and never start easytask (Go) on it again",
    };
  }
  if (goInPlace && aside.length > 0) {
    return {
      kind: "conflict",
      problem: `it holds the tables of easytask (Go) both under their own names and renamed aside (${aside.map(renamed).join(", ")}): easytask (Go) created its tables again after a migration. Drop or rename one set, then start again`,
    };
  }
  // The original creates all four at its start (gorm AutoMigrate).
  const partial = (present: GoTable[], name: (t: GoTable) => string) =>
    `it holds only some of the tables of easytask (Go) (${present.map(name).join(", ")}; expected ${GO_TABLES.map(name).join(", ")}): restore the missing ones from a backup, then start again`;
  if (goInPlace) {
    const present = GO_TABLES.filter((t) => tables.has(t));
    return present.length === GO_TABLES.length ? { kind: "go" } : { kind: "conflict", problem: partial(present, (t) => t) };
  }
  if (aside.length === 0) return { kind: "none" };
  if (aside.length < GO_TABLES.length) return { kind: "conflict", problem: partial(aside, renamed) };
  if (tables.has(IMPORT_MARKER)) {
    const { rows: done } = await sql<{ at: number }>`select imported_at as at from ${sql.table(IMPORT_MARKER)} limit 1`.execute(db.kysely);
    if (done[0]) return { kind: "imported", importedAt: Number(done[0].at) };
  }
  return { kind: "renamed" };
}
