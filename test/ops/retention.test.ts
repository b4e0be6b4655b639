import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { silentLogger } from "../../src/log/log.js";
import { Metrics } from "../../src/metrics/metrics.js";
import { pruneOnce, type RetentionDeps } from "../../src/engine/logRetention.js";
import { ShardSet } from "../../src/engine/shardSet.js";
import type { Db } from "../../src/store/database.js";
import { openStore } from "../../src/store/openStore.js";
import { raiseAlert } from "../../src/store/alerts.js";
import { insertAuditEntries } from "../../src/store/auditLog.js";
import { pendingRow } from "../../src/store/taskLogs.js";
import { findTaskServerId, upsertRoute } from "../../src/store/taskServers.js";
import { upsertTask } from "../../src/store/tasks.js";
import { sample, scrape } from "../support/metrics.js";
import { DIALECTS, freshStore, startTestNode, stopSharedMariaDb } from "../support/node.js";
import { TestClock } from "../support/testClock.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

const DAY = 86_400_000;
const FINISHED = [RunState.SUCCEEDED, RunState.FAILED, RunState.TIMEOUT, RunState.ABORTED, RunState.KILLED, RunState.CANCELED, RunState.SUCCEEDED];
const OPEN = [RunState.RUNNING, RunState.ASYNC_WAITING, RunState.PENDING];

// A task and its history: finished runs started 31 days ago, open runs
// started as long ago, and finished runs of 29 days ago. Returns the ids of
// the rows that must stay.
async function history(db: Db, now: number): Promise<{ kept: number[]; old: number }> {
  await upsertRoute(db, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, now, 256);
  const taskId = await upsertTask(
    db,
    { name: `t${now}`, biz_id: "", task_server_id: (await findTaskServerId(db, "w"))!, callback_path: "/", sched_mode: SchedMode.INTERVAL, time_cron: "", time_interval_sec: 60, time_spec_at: 0, arg: "", next_fire_at: null },
    now,
  );
  let run = 0;
  const insert = async (state: RunState, startedAt: number) => {
    const row = { ...pendingRow(taskId, ++run, 1, startedAt), state, finished_at: OPEN.includes(state) ? null : startedAt + 1000 };
    const { insertId } = await db.kysely.insertInto("task_log").values(row).executeTakeFirstOrThrow();
    return Number(insertId);
  };
  for (const state of FINISHED) await insert(state, now - 31 * DAY);
  const kept = [];
  for (const state of OPEN) kept.push(await insert(state, now - 31 * DAY));
  for (const state of [RunState.SUCCEEDED, RunState.FAILED]) kept.push(await insert(state, now - 29 * DAY));
  return { kept, old: FINISHED.length };
}

const ids = async (db: Db) => (await db.kysely.selectFrom("task_log").select("id").orderBy("id").execute()).map((r) => Number(r.id));

for (const dialect of DIALECTS) {
  describe(`log retention on ${dialect}`, () => {
    test("migration 0003_log_retention indexes task_log.started_at as ix_task_log_started, also after 0005 ran", async () => {
      const { store: config, cleanup } = await freshStore(dialect);
      const storeConfig = config.kind === "sqlite" ? config : { kind: "mysql" as const, url: config.url };
      // A database a build without 0003 migrated (0005 applied already).
      const older = await openStore(storeConfig);
      const drop = older.kysely.schema.dropIndex("ix_task_log_started");
      await (dialect === "mysql" ? drop.on("task_log") : drop).execute();
      await sql`delete from kysely_migration where name = '0003_log_retention'`.execute(older.kysely);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(older.kysely);
      const names = applied.rows.map((r) => r.name);
      assert.ok(names.includes("0005_callback_secret") && !names.includes("0003_log_retention"), names.join());
      await older.close();
      const store = await openStore(storeConfig);
      const query =
        dialect === "sqlite"
          ? sql<{ column: string }>`select name as "column" from pragma_index_info('ix_task_log_started')`
          : sql<{ column: string }>`select column_name as \`column\` from information_schema.statistics where table_schema = database() and table_name = 'task_log' and index_name = 'ix_task_log_started'`;
      const { rows } = await query.execute(store.kysely);
      assert.deepEqual(rows.map((r) => r.column), ["started_at"]);
      await store.close();
      cleanup();
    });

    test("deletes finished runs past the retention in bounded batches with pauses; keeps open and recent runs", async () => {
      const { store: config, cleanup } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      const now = Date.UTC(2026, 5, 1);
      const { kept, old } = await history(store, now);
      // What each pause between two batches finds left of the old rows.
      const leftAtPauses: number[] = [];
      const pauses: number[] = [];
      const clock = new TestClock(now);
      clock.sleep = async (ms) => {
        pauses.push(ms);
        leftAtPauses.push((await ids(store)).length - kept.length);
      };
      const metrics = new Metrics(store, silentLogger, 64);
      const deps: RetentionDeps = { db: store, clock, log: silentLogger, metrics, retentionDays: 30, shards: ShardSet.all(64) };
      const timing = { batchSize: 3, pauseMs: 250, intervalMs: 60_000 };

      assert.deepEqual(await pruneOnce(deps, timing, new AbortController().signal), { deleted: old, batches: 3 });
      assert.deepEqual(leftAtPauses, [old - 3, old - 6], "each statement deleted at most batchSize rows");
      assert.deepEqual(pauses, [250, 250], "a pause between batches");
      assert.deepEqual(await ids(store), kept);
      const text = await metrics.registry.getSingleMetricAsString("easytask_task_log_rows_deleted_total");
      assert.equal(sample(text, "easytask_task_log_rows_deleted_total"), old);

      assert.deepEqual(await pruneOnce(deps, timing, new AbortController().signal), { deleted: 0, batches: 1 }, "nothing left to do");
      // A day later the 29-day-old runs are 30 days and a moment old.
      clock.t = now + DAY + 1;
      assert.deepEqual(await pruneOnce(deps, timing, new AbortController().signal), { deleted: 2, batches: 1 });
      assert.deepEqual(await ids(store), kept.slice(0, OPEN.length), "open runs are never deleted, however old");
      await store.close();
      cleanup();
    });

    test("the audit log and the alerts are kept as long as the run history, and pruned in batches too", async () => {
      const { store: config, cleanup } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      const now = Date.UTC(2026, 5, 1);
      const entry = (at: number) => ({ at, actor: "a", method: "m", protocol: "connect", targets: "", request: "{}", result: "{}", trace_id: "t" });
      await insertAuditEntries(store, [31, 31, 31, 31, 29].map((days) => entry(now - days * DAY)));
      const alert = (at: number, n: number) => ({ at, kind: 1, task_id: n, task_server: "w", route: "", text: "x", open_key: null, delivery: 1, delivery_error: "" });
      for (const [n, days] of [31, 31, 29].entries()) await raiseAlert(store, alert(now - days * DAY, n));
      const clock = new TestClock(now);
      let pauses = 0;
      clock.sleep = async () => void pauses++;
      const shards = new ShardSet(64);
      const deps: RetentionDeps = { db: store, clock, log: silentLogger, metrics: new Metrics(store, silentLogger, 64), retentionDays: 30, shards };
      const timing = { batchSize: 3, pauseMs: 250, intervalMs: 60_000 };
      shards.set([1, 2]);
      await pruneOnce(deps, timing, new AbortController().signal);
      assert.equal((await store.kysely.selectFrom("audit_log").select("id").execute()).length, 5, "only the leader of shard 0 prunes them");
      shards.set([0]);
      await pruneOnce(deps, timing, new AbortController().signal);
      assert.equal(pauses, 1, "4 old entries: two batches of at most 3, a pause between");
      const left = async (table: "audit_log" | "alert") => (await store.kysely.selectFrom(table).select("at").execute()).map((r) => (now - Number(r.at)) / DAY);
      assert.deepEqual(await left("audit_log"), [29]);
      assert.deepEqual(await left("alert"), [29]);
      await store.close();
      cleanup();
    });

    test("the leader deletes old history on its own, on log_retention_days", async () => {
      const node = await startTestNode(dialect, { logRetentionDays: 30 }, { retentionTiming: { intervalMs: 100, pauseMs: 10, batchSize: 2 } });
      try {
        const { kept, old } = await history(node.store, Date.now());
        await waitFor("the old history deleted", () => ids(node.store), (left) => left.length === kept.length);
        assert.deepEqual(await ids(node.store), kept);
        assert.equal(sample(await scrape(node.port), "easytask_task_log_rows_deleted_total"), old);
      } finally {
        await node.stop();
      }
    });
  });
}
