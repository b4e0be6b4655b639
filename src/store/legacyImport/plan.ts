import { systemClock, type Clock } from "../../clock.js";
import { importGoData, type ImportSummary } from "./copy.js";
import { GO_TABLES, inspectDatabase, renamed, type SqlDb } from "./goTables.js";
import { checkQuiet, QUIET_MS } from "./quiescence.js";

// What a migration would do to this database, in words, changing nothing
// (`easytask migrate --dry-run`).

const MAX_CRONS_LISTED = 50;
const MAX_IDS_LISTED = 10;

const counts = (byKey: Record<string, number>) =>
  Object.entries(byKey)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${n} ${key.toLowerCase().replace(/_/g, " ")}`)
    .join(", ") || "none";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function localDate(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat("sv-SE", { timeZone, dateStyle: "short", timeStyle: "medium" }).format(ms);
}

function summaryLines(s: ImportSummary, timeZone: string): string[] {
  const lines = [
    `     task servers: ${s.taskServers}, with their ids`,
    `     routes: ${s.routes}${s.routesSkipped ? ` (${s.routesSkipped} left out: deleted in easytask (Go), or not http/https)` : ""}`,
    `     tasks: ${s.tasks}, with their ids; by schedule ${counts(s.tasksByMode)}; to be ${counts(s.tasksByState)}`,
    `     run history: ${plural(s.history, "run")}, ${counts(s.historyByState)}${s.historySkipped ? ` (${s.historySkipped} left out: deleted, or of tasks that no longer exist)` : ""}`,
  ];
  if (s.crons.size === 0) return lines;
  lines.push(`   cron expressions of easytask (Go) (6 fields: minute … year), read in time zone ${timeZone} (easytask_go.time_zone):`);
  const crons = [...s.crons].sort(([, a], [, b]) => b.tasks - a.tasks);
  for (const [goExpr, { tasks, taskIds, conversion: c }] of crons.slice(0, MAX_CRONS_LISTED)) {
    const n = plural(tasks, "task");
    if (!c.ok) {
      const ids = taskIds.slice(0, MAX_IDS_LISTED);
      lines.push(`     "${goExpr}" → kept paused (${n}${ids.length ? `: ${ids.join(", ")}${tasks > ids.length ? " …" : ""}` : ""}): ${c.reason}`);
      continue;
    }
    const from = c.startAt ? ` from ${localDate(c.startAt, timeZone)}` : "";
    const until = c.endAt ? ` until ${localDate(c.endAt, timeZone)}` : "";
    lines.push(`     "${goExpr}" → "${c.cron}"${from}${until} (${n})`);
  }
  if (crons.length > MAX_CRONS_LISTED) lines.push(`     … and ${crons.length - MAX_CRONS_LISTED} more expressions`);
  if (s.offSchedule > 0) {
    lines.push(`   ${plural(s.offSchedule, "cron task")} have a next due time that is not a slot of their cron in ${timeZone}: set easytask_go.time_zone to the zone easytask (Go) ran in`);
  }
  return lines;
}

export async function describeUpgrade(db: SqlDb, opts: { timeZone: string; clock?: Clock }): Promise<string> {
  const clock = opts.clock ?? systemClock;
  const found = await inspectDatabase(db);
  switch (found.kind) {
    case "none":
      return "Nothing to migrate: the database holds no tables of easytask (Go).";
    case "imported":
      return `Nothing to migrate: it was migrated from easytask (Go) on ${new Date(found.importedAt).toISOString()}; the original's tables are kept as ${GO_TABLES.map(renamed).join(", ")}.`;
    case "conflict":
      return `A start of easytask would be refused: ${found.problem}.`;
  }
  const lines: string[] = [];
  if (found.kind === "go") {
    const quiet = await checkQuiet(db, clock);
    lines.push(
      quiet.quiet ? `The database holds the tables of easytask (Go), and nothing in them changed in ${QUIET_MS / 1000} s.` : `A start of easytask would be refused now: ${quiet.message}`,
      "Starting easytask (or easytask migrate) would, once:",
      `  1. rename ${GO_TABLES.join(", ")} to ${GO_TABLES.map(renamed).join(", ")}, in one RENAME TABLE (kept as they are: the backup to roll back to);`,
    );
  } else {
    lines.push("A migration from easytask (Go) was cut short: its tables are renamed aside but not copied. Starting easytask would:", "  1. keep them aside, as they are;");
  }
  lines.push("  2. create easytask's tables, ids continuing after the original's;", "  3. copy in one transaction:");
  const summary = await importGoData(db, { timeZone: opts.timeZone, now: clock.now(), write: false, from: found.kind === "go" ? (t) => t : renamed });
  lines.push(...summaryLines(summary, opts.timeZone), "Nothing was changed.");
  return lines.join("\n");
}
