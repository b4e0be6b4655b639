import type { Db } from "./database.js";
import { runsMatching, withTaskNames, type RunFilter, type RunWithTask } from "./taskLogs.js";
import { containsText } from "./tasks.js";

// Runs a search of error texts reads at most, newest first: a search that
// matches little must not read the whole run history in one call.
export const ERROR_SEARCH_SCAN = 50_000;

export interface ErrorSearch {
  runs: RunWithTask[];
  // Where the next call goes on from (the id to read below), or undefined
  // when there is nothing left to read.
  continueBelow?: number;
}

// The filter's runs whose error contains `text` (ASCII case ignored), newest
// first, from the newest ERROR_SEARCH_SCAN runs the filter selects.
export async function searchRunErrors(db: Db, f: RunFilter, text: string): Promise<ErrorSearch> {
  const scanned = runsMatching(db, f).select("id").orderBy("id", "desc").limit(ERROR_SEARCH_SCAN);
  const rows = await db.kysely
    .selectFrom(scanned.as("scanned"))
    .innerJoin("task_log", "task_log.id", "scanned.id")
    .selectAll("task_log")
    .where(containsText("task_log.error", text))
    .orderBy("task_log.id", "desc")
    .limit(f.limit)
    .execute();
  const runs = await withTaskNames(db, rows);
  if (rows.length === f.limit) return { runs, continueBelow: rows[rows.length - 1].id };
  const read = await db.kysely
    .selectFrom(scanned.as("scanned"))
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("scanned.id").as("lowest")])
    .executeTakeFirstOrThrow();
  return { runs, continueBelow: Number(read.n) === ERROR_SEARCH_SCAN ? Number(read.lowest) : undefined };
}
