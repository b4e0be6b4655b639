import type { Db, RunEnd } from "./database.js";

// Runs fn in a transaction, or inside the caller's when db already is one,
// so a query function can be used alone or as part of a batch. The attempts
// ended inside are told once it commits, and not at all if it rolls back.
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.kysely.isTransaction) return fn(db);
  const ended: RunEnd[] = [];
  const result = await db.kysely.transaction().execute((trx) => fn({ kysely: trx, dialect: db.dialect, runEnds: { add: (ends) => ended.push(...ends) } }));
  if (ended.length > 0) db.runEnds.add(ended);
  return result;
}
