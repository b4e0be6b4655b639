import type { Db } from "./database.js";

// Runs fn in a transaction, or inside the caller's when db already is one,
// so a query function can be used alone or as part of a batch.
export function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.kysely.isTransaction) return fn(db);
  return db.kysely.transaction().execute((trx) => fn({ kysely: trx, dialect: db.dialect }));
}
