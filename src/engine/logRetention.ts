import type { Logger } from "../log/log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Db } from "../store/database.js";
import { deleteFinishedRunsBefore, deleteRecordsBefore } from "../store/retention.js";
import type { Clock } from "../clock.js";
import type { ShardSet } from "./shardSet.js";

export interface RetentionDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  retentionDays: number;
  // Runs are deleted by the leader of their task's shard.
  shards: Pick<ShardSet, "filter">;
}

export interface RetentionTiming {
  // Rows per delete statement.
  batchSize: number;
  // Between statements, so the scheduler's writes get the table in between.
  pauseMs: number;
  // Between rounds.
  intervalMs: number;
}

export const DEFAULT_RETENTION_TIMING: RetentionTiming = { batchSize: 500, pauseMs: 200, intervalMs: 5 * 60_000 };

const DAY_MS = 86_400_000;

// Deletes with `batch` until a batch comes back short, pausing between
// batches. Returns the rows and batches.
async function inBatches(batch: (limit: number) => Promise<number>, deps: RetentionDeps, timing: RetentionTiming, signal: AbortSignal): Promise<{ deleted: number; batches: number }> {
  let deleted = 0;
  let batches = 0;
  while (!signal.aborted) {
    if (batches > 0) await deps.clock.sleep(timing.pauseMs, signal);
    const n = await batch(timing.batchSize);
    batches++;
    deleted += n;
    if (n < timing.batchSize) break;
  }
  return { deleted, batches };
}

// One round: deletes every finished run older than the retention, a batch
// at a time with a pause between batches; and, on the leader of shard 0,
// the audit log entries and alerts as old (they belong to no shard).
// Returns the runs' rows and batches.
export async function pruneOnce(deps: RetentionDeps, timing: RetentionTiming, signal: AbortSignal): Promise<{ deleted: number; batches: number }> {
  const cutoff = deps.clock.now() - deps.retentionDays * DAY_MS;
  const runs = await inBatches(
    async (limit) => {
      const n = await deleteFinishedRunsBefore(deps.db, cutoff, limit, deps.shards.filter());
      deps.metrics.runLogRowsDeleted(n);
      return n;
    },
    deps,
    timing,
    signal,
  );
  if (!deps.shards.filter().led.includes(0)) return runs;
  for (const table of ["audit_log", "alert"] as const) {
    const { deleted } = await inBatches((limit) => deleteRecordsBefore(deps.db, table, cutoff, limit), deps, timing, signal);
    if (deleted > 0) deps.log.info(`deleted old ${table === "alert" ? "alerts" : "audit log entries"}`, { rows: deleted, log_retention_days: deps.retentionDays });
  }
  return runs;
}

// Keeps task_log within log_retention_days while this node leads shards.
export async function runLogRetention(deps: RetentionDeps, timing: RetentionTiming, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const { deleted } = await pruneOnce(deps, timing, signal);
      if (deleted > 0) deps.log.info("deleted old run history", { rows: deleted, log_retention_days: deps.retentionDays });
    } catch (err) {
      deps.log.error("deleting old run history failed; retrying at the next round", { err });
    }
    await deps.clock.sleep(timing.intervalMs, signal);
  }
}
