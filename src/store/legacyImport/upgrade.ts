import { createHash } from "node:crypto";
import { sql } from "kysely";
import { systemClock, type Clock } from "../../clock.js";
import type { Logger } from "../../log/log.js";
import type { Db } from "../database.js";
import { transaction } from "../transaction.js";
import { importGoData, type ImportSummary } from "./copy.js";
import { GO_TABLES, IMPORT_MARKER, inspectDatabase, renamed, type GoTable } from "./goTables.js";
import { checkQuiet } from "./quiescence.js";

// Takes a database of the Go original over, once, on the first start of
// easytask on it (or `easytask migrate`):
//   1. under a named lock (GET_LOCK), so nodes starting together migrate once;
//   2. refuses while the original still writes to its tables;
//   3. renames its four tables aside (easytask_go_*), in one atomic
//      RENAME TABLE: from then on the original cannot claim a run here;
//   4. creates easytask's tables (the usual migrations), ids continuing
//      past the original's;
//   5. copies everything in one transaction that also writes the marker row,
//      so the copy is all there or not at all. A start after a crash between
//      3 and 5 finds the tables aside without the marker and copies again.
// The original's tables stay aside, untouched, as the backup to roll back to.

export class UpgradeRefused extends Error {
  override name = "UpgradeRefused";
}

export interface UpgradeOptions {
  log: Logger;
  // The zone the original read its crons in.
  timeZone: string;
  // easytask's own migrations (openStore's).
  migrate: () => Promise<void>;
  clock?: Clock;
}

const LOCK_WAIT_SEC = 10;

async function databaseName(db: Db): Promise<string> {
  const { rows } = await sql<{ name: string }>`select database() as name`.execute(db.kysely);
  return rows[0]!.name;
}

// A MySQL named lock, held by one connection of the pool for as long as fn
// runs (and released by the server if this process dies).
async function withUpgradeLock<T>(db: Db, log: Logger, fn: () => Promise<T>): Promise<T> {
  const name = `easytask-upgrade-${createHash("sha256").update(await databaseName(db)).digest("hex").slice(0, 32)}`;
  return db.kysely.connection().execute(async (conn) => {
    const take = async (waitSec: number) => Number((await sql<{ got: unknown }>`select get_lock(${name}, ${waitSec}) as got`.execute(conn)).rows[0]?.got) === 1;
    if (!(await take(0))) {
      log.info("another node is migrating this database from easytask (Go); waiting for it to finish");
      while (!(await take(LOCK_WAIT_SEC)));
    }
    try {
      return await fn();
    } finally {
      await sql`select release_lock(${name})`.execute(conn);
    }
  });
}

// Past the original's highest ids (AUTO_INCREMENT, so ids it handed out and
// deleted are not handed out again: clients may still hold them).
const TARGETS: Record<GoTable, string> = { task: "task", task_log: "task_log", task_callback_srv: "task_server", task_callback_srv_route: "task_server_route" };

async function continueIds(db: Db): Promise<void> {
  for (const table of GO_TABLES) {
    const { rows } = await sql<{ next: unknown }>`select auto_increment as next from information_schema.tables where table_schema = database() and table_name = ${renamed(table)}`.execute(db.kysely);
    const next = Number(rows[0]?.next ?? 0);
    if (next > 1) await sql`alter table ${sql.table(TARGETS[table])} auto_increment = ${sql.lit(next)}`.execute(db.kysely);
  }
}

async function copyOnce(db: Db, opts: UpgradeOptions, now: number): Promise<ImportSummary> {
  await sql`create table if not exists ${sql.table(IMPORT_MARKER)} (id bigint primary key, imported_at bigint not null, summary mediumtext not null)
    default charset=utf8mb4 collate=utf8mb4_bin`.execute(db.kysely);
  await continueIds(db);
  return transaction(db, async (tx) => {
    const { rows } = await sql<{ n: unknown }>`select (select count(*) from task) + (select count(*) from task_server) + (select count(*) from task_log) as n`.execute(tx.kysely);
    if (Number(rows[0]?.n) > 0) {
      throw new UpgradeRefused(
        `easytask's tables already hold data although the copy from easytask (Go) was never completed (no row in ${IMPORT_MARKER}). The original's data is intact in ${GO_TABLES.map(renamed).join(", ")}: drop easytask's tables (task, task_log, task_server, task_server_route, route_eviction, kysely_migration, kysely_migration_lock) and start again to copy it`,
      );
    }
    const summary = await importGoData(tx, { timeZone: opts.timeZone, now, write: true, from: renamed });
    await sql`insert into ${sql.table(IMPORT_MARKER)} (id, imported_at, summary) values (1, ${now}, ${JSON.stringify(summaryFields(summary))})`.execute(tx.kysely);
    return summary;
  });
}

export function summaryFields(s: ImportSummary) {
  return {
    task_servers: s.taskServers,
    routes: s.routes,
    routes_skipped: s.routesSkipped,
    tasks: s.tasks,
    tasks_by_mode: s.tasksByMode,
    tasks_by_state: s.tasksByState,
    history: s.history,
    history_skipped: s.historySkipped,
    history_by_state: s.historyByState,
  };
}

function logSummary(log: Logger, summary: ImportSummary, timeZone: string, timing: { duration_ms: number; copy_ms: number }): void {
  for (const [goExpr, { tasks, taskIds, conversion }] of summary.crons) {
    if (!conversion.ok) log.warn("tasks paused: their cron from easytask (Go) has no equivalent here", { time_cron: goExpr, reason: conversion.reason, tasks, task_ids: taskIds });
  }
  if (summary.offSchedule > 0) {
    log.warn("cron tasks whose next due time from easytask (Go) is not a slot of their cron in easytask_go.time_zone: is it the zone easytask (Go) ran in?", {
      tasks: summary.offSchedule,
      time_zone: timeZone,
    });
  }
  log.info("migrated from easytask (Go)", { ...summaryFields(summary), time_zone: timeZone, ...timing });
}

// Does nothing unless the database holds the original's tables (or a
// migration of them cut short). Throws UpgradeRefused when it must not go on.
export async function upgradeFromEasytaskGo(db: Db, opts: UpgradeOptions): Promise<void> {
  const clock = opts.clock ?? systemClock;
  const seen = await inspectDatabase(db);
  if (seen.kind === "none" || seen.kind === "imported") return;
  await withUpgradeLock(db, opts.log, async () => {
    const found = await inspectDatabase(db);
    if (found.kind === "none" || found.kind === "imported") return;
    if (found.kind === "conflict") throw new UpgradeRefused(`cannot start on this database: ${found.problem}`);
    const started = clock.monotonic();
    if (found.kind === "go") {
      opts.log.info("tables of easytask (Go) found: checking that it no longer runs, then migrating them", { tables: GO_TABLES });
      const quiet = await checkQuiet(db, clock);
      if (!quiet.quiet) throw new UpgradeRefused(quiet.message);
      await sql.raw(`rename table ${GO_TABLES.map((t) => `\`${t}\` to \`${renamed(t)}\``).join(", ")}`).execute(db.kysely);
    } else {
      opts.log.info("completing a migration from easytask (Go) that was cut short", { tables: GO_TABLES.map(renamed) });
    }
    await opts.migrate();
    const copying = clock.monotonic();
    const summary = await copyOnce(db, opts, clock.now()).catch((err: unknown) => {
      if (err instanceof UpgradeRefused) throw err;
      throw new Error(
        `copying the data of easytask (Go) failed, so none of it was copied (${err instanceof Error ? err.message : String(err)}). Its tables are kept as they were, as ${GO_TABLES.map(renamed).join(", ")}: remove the cause and start again to copy them`,
        { cause: err },
      );
    });
    logSummary(opts.log, summary, opts.timeZone, { duration_ms: Math.round(clock.monotonic() - started), copy_ms: Math.round(clock.monotonic() - copying) });
  });
}
