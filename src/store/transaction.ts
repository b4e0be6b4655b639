import type { Db, RunEnd } from "./database.js";

// MySQL's deadlock (1213) and lock wait timeout (1205); Galera reports a
// transaction that lost certification against another member's as 1213 too.
// Either rolled the whole transaction back, so running it again is safe.
const RETRIED_ERRORS = new Set([1213, 1205]);
const ATTEMPTS = 4;

const isConflict = (err: unknown) => RETRIED_ERRORS.has((err as { errno?: number }).errno ?? 0);

// Runs fn in a transaction, or inside the caller's when db already is one,
// so a query function can be used alone or as part of a batch. The attempts
// ended inside are told once it commits, and not at all if it rolls back. A
// transaction that lost to a conflicting one is run again (fn must only touch
// the database, as every caller's does), up to ATTEMPTS times in all.
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (db.kysely.isTransaction) return fn(db);
  for (let attempt = 1; ; attempt++) {
    const ended: RunEnd[] = [];
    try {
      const result = await db.kysely
        .transaction()
        .execute((trx) => fn({ kysely: trx, dialect: db.dialect, nodeId: db.nodeId, runEnds: { add: (ends) => ended.push(...ends) } }));
      if (ended.length > 0) db.runEnds.add(ended);
      return result;
    } catch (err) {
      // At once: the transaction it lost to has committed or rolled back.
      if (attempt >= ATTEMPTS || !isConflict(err)) throw err;
    }
  }
}
