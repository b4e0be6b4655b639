import { sql } from "kysely";
import type { Db } from "./database.js";

// The cheapest query that proves the database answers.
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db.kysely);
}

// mysql.query_timeout_sec: a hung server turns into errors after this
// instead of requests that never end.
export const DEFAULT_QUERY_TIMEOUT_SEC = 10;

// The database took longer than mysql.query_timeout_sec to hand out a
// connection (mysql2 reports a query that ran out of time itself, as
// PROTOCOL_SEQUENCE_TIMEOUT).
export class DatabaseTimeout extends Error {}

// Driver errors that mean the database cannot be reached right now, as
// opposed to a query it refused: the same request may succeed later.
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_SERVER_SHUTDOWN",
  "ER_CONNECTION_KILLED",
  "ER_CON_COUNT_ERROR",
]);
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof DatabaseTimeout) return true;
  const { code, fatal } = err as { code?: unknown; fatal?: unknown };
  // mysql2 marks errors that leave the connection unusable as fatal.
  if (fatal === true) return true;
  return typeof code === "string" && (UNREACHABLE.has(code) || SQLITE_UNAVAILABLE.test(code));
}
