import { sql, type InsertQueryBuilder, type InsertResult, type RawBuilder, type UpdateObject } from "kysely";
import type { Database, Db } from "./database.js";

// Where MySQL and SQLite spell the same thing differently: every branch on
// the dialect is in this file, as Kysely keeps them in its dialect adapters.

type Insert<T extends keyof Database> = InsertQueryBuilder<Database, T, InsertResult>;
type Column<T extends keyof Database> = keyof Database[T] & string;

// Inserts, or updates the row with the same unique `key` instead:
// ON DUPLICATE KEY UPDATE (MySQL) or ON CONFLICT (key) DO UPDATE (SQLite).
export function orUpdate<T extends keyof Database>(db: Db, insert: Insert<T>, key: Column<T>[], set: UpdateObject<Database, T, T>) {
  // The same columns and values either way; Kysely types SQLite's side over
  // its own view of the tables (with `excluded`), hence the cast.
  return db.dialect === "mysql" ? insert.onDuplicateKeyUpdate(set) : insert.onConflict((oc) => oc.columns(key).doUpdateSet(set as never));
}

// Inserts, or leaves the row with the same unique `key` as it is.
export function orKeep<T extends keyof Database>(db: Db, insert: Insert<T>, key: Column<T>[]) {
  // MySQL's INSERT IGNORE would also swallow other errors; a no-op update
  // of the key itself does not.
  const unchanged = { [key[0]]: sql.ref(key[0]) } as UpdateObject<Database, T, T>;
  return db.dialect === "mysql" ? insert.onDuplicateKeyUpdate(unchanged) : insert.onConflict((oc) => oc.columns(key).doNothing());
}

// Inserts rows, or updates the row with the same unique `key` with the
// inserted row's `columns` (and `also`): VALUES(col) (MySQL) or excluded.col
// (SQLite), for a multi-row insert where each row brings its own values.
export function orUpdateFromInserted<T extends keyof Database>(db: Db, insert: Insert<T>, key: Column<T>[], columns: Column<T>[], also: UpdateObject<Database, T, T>) {
  const inserted = (c: string) => (db.dialect === "mysql" ? sql`values(${sql.ref(c)})` : sql`excluded.${sql.ref(c)}`);
  return orUpdate(db, insert, key, { ...Object.fromEntries(columns.map((c) => [c, inserted(c)])), ...(also as object) } as UpdateObject<Database, T, T>);
}

// orUpdate in one statement that also returns the row's id either way:
// SQLite returns it; MySQL hands it over through LAST_INSERT_ID(id) on the
// update path.
export async function upsertReturningId(db: Db, insert: Insert<"task">, key: Column<"task">[], set: UpdateObject<Database, "task", "task">): Promise<number> {
  if (db.dialect === "mysql") {
    const result = await insert.onDuplicateKeyUpdate({ ...(set as object), id: sql<number>`LAST_INSERT_ID(id)` }).executeTakeFirstOrThrow();
    return Number(result.insertId);
  }
  const row = await insert
    .onConflict((oc) => oc.columns(key).doUpdateSet(set))
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

// a / b rounded down, for integers: MySQL's `/` gives a decimal.
export const integerDivision = (db: Db, a: RawBuilder<unknown>, b: number) => (db.dialect === "mysql" ? sql`${a} div ${sql.lit(b)}` : sql`${a} / ${sql.lit(b)}`);

// Locks the rows a SELECT reads until the transaction ends (MySQL). SQLite
// has no row locks: a write transaction there holds the whole database.
export function forUpdate<Q extends { forUpdate(): Q }>(db: Db, query: Q): Q {
  return db.dialect === "mysql" ? query.forUpdate() : query;
}

export type Row = { id: number } & Record<string, unknown>;

// A reference to a column of the table being updated (alias t).
export const target = (column: string) => sql`t.${sql.ref(column)}`;

// Sets each row of a batch to its own values in one statement: the rows go
// in as a derived table joined on id (UPDATE … JOIN on MySQL, UPDATE … FROM
// on SQLite), so the work grows with the number of rows; a CASE per column
// would compare every row with every other. `also` sets columns to the same
// expression for every row; `where` narrows the rows updated.
export function updateRows(
  db: Db,
  table: "task" | "task_log",
  rows: Row[],
  columns: string[],
  opts: { also?: Record<string, RawBuilder<unknown>>; where?: RawBuilder<unknown> } = {},
): RawBuilder<unknown> {
  const values = sql.join(
    rows.map((r, i) => (i === 0 ? sql`select ${r.id} as id, ${sql.join(columns.map((c) => sql`${r[c]} as ${sql.ref(c)}`))}` : sql`select ${r.id}, ${sql.join(columns.map((c) => sql`${r[c]}`))}`)),
    sql` union all `,
  );
  const sets = [...columns.map((c) => [c, sql`v.${sql.ref(c)}`] as const), ...Object.entries(opts.also ?? {})];
  const where = opts.where ? sql` and ${opts.where}` : sql``;
  if (db.dialect === "mysql") {
    const assign = sql.join(sets.map(([c, v]) => sql`t.${sql.ref(c)} = ${v}`));
    return sql`update ${sql.table(table)} as t join (${values}) as v on t.id = v.id set ${assign} where 1 = 1${where}`;
  }
  // SQLite names the columns it sets bare, and reads the target through its alias.
  const assign = sql.join(sets.map(([c, v]) => sql`${sql.ref(c)} = ${v}`));
  return sql`update ${sql.table(table)} as t set ${assign} from (${values}) as v where t.id = v.id${where}`;
}

// Locks the rows a SELECT reads against changes by others until the
// transaction ends, letting others read them too (MySQL; LOCK IN SHARE MODE,
// which MariaDB also speaks). SQLite: as forUpdate.
export function forShare<Q extends { modifyEnd(modifier: RawBuilder<unknown>): Q }>(db: Db, query: Q): Q {
  return db.dialect === "mysql" ? query.modifyEnd(sql`lock in share mode`) : query;
}

// Inserts one row and returns its id, or undefined when a row with the same
// unique `key` exists. MySQL: a duplicate key error, told apart (its driver
// counts a row found by ON DUPLICATE KEY UPDATE as affected, so that cannot
// tell an insert from a duplicate); SQLite: ON CONFLICT DO NOTHING.
export async function insertUnlessDuplicate<T extends "alert">(db: Db, insert: Insert<T>, key: Column<T>[]): Promise<number | undefined> {
  if (db.dialect === "mysql") {
    try {
      return Number((await insert.executeTakeFirstOrThrow()).insertId);
    } catch (err) {
      if ((err as { code?: string }).code === "ER_DUP_ENTRY") return undefined;
      throw err;
    }
  }
  const row = await insert
    .onConflict((oc) => oc.columns(key).doNothing())
    .returning("id")
    .executeTakeFirst();
  return row?.id;
}
