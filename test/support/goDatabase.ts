import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createConnection, type Connection } from "mysql2/promise";
import { nextCronFire } from "../../src/calendar/cron.js";

// Databases of the Go original for the upgrade tests and bench: its schema
// and example rows exactly as its gorm migration and API made them
// (test/fixtures/easytask-go-schema.sql), and larger generated sets in the
// same schema with tasks of every kind.

const FIXTURE = fileURLToPath(new URL("../../../test/fixtures/easytask-go-schema.sql", import.meta.url));
const fixtureText = () => readFileSync(FIXTURE, "utf8");

// The database (created unless it exists) loaded with the fixture (or its tables alone).
export async function createGoDatabase(serverUrl: string, database: string, opts: { rows: boolean }): Promise<{ url: string; conn: Connection }> {
  const admin = await createConnection(serverUrl);
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  // utf8mb4, as the original's DSN asks: the server converts to the latin1 columns.
  const conn = await createConnection({ uri: url.toString(), multipleStatements: true, charset: "utf8mb4" });
  const text = fixtureText();
  await conn.query(opts.rows ? text : text.split(/;\n/).filter((s) => /^CREATE TABLE/m.test(s)).join(";\n"));
  return { url: url.toString(), conn };
}

// What a generated task should become, by kind.
export interface GoKind {
  name: string;
  state: "SCHEDULED" | "PAUSED" | "STOPPED" | "FINISHED";
  task(i: number, now: number): Partial<GoTask>;
  // A cron's meaning written by hand in easytask's dialect (UTC).
  sameAs?: string;
}

export interface GoTask {
  deleted_at: number;
  arg: string;
  plan_sched_next_at: number;
  time_cron_expr: string;
  time_interval_sec: number;
  // The database's numbering: 1 specified time, 2 cron, 3 interval.
  sched_mode: number;
  callback_srv_id: number;
  run_times: number;
  allow_max_run_times: string;
  max_run_time_sec: number;
}

const NO_LIMIT = "9223372036854775807";
// A cron task of the original, due at its next slot (as the original
// computed it, in UTC here) from `from` on.
const cron = (name: string, state: GoKind["state"], expr: string, sameAs: string, from?: number): GoKind => ({
  name,
  state,
  sameAs,
  task: (i, now) => ({ sched_mode: 2, time_cron_expr: expr, plan_sched_next_at: nextCronFire(sameAs, Math.max(now * 1000, from ?? 0), "UTC")! / 1000, run_times: i % 40 }),
});

export const GO_KINDS: GoKind[] = [
  { name: "interval", state: "SCHEDULED", task: (i, now) => ({ sched_mode: 3, time_interval_sec: 60 + (i % 3600), plan_sched_next_at: now + 600 + (i % 3600), run_times: i % 97 }) },
  { name: "interval-overdue", state: "SCHEDULED", task: (i, now) => ({ sched_mode: 3, time_interval_sec: 3600, plan_sched_next_at: now - 86_400 - (i % 3600), run_times: 7 }) },
  cron("cron-5", "SCHEDULED", "*/5 * * * *", "0 */5 * * * *"),
  cron("cron-6-year-any", "SCHEDULED", "0 9 * * 1 *", "0 0 9 * * 1"),
  cron("cron-6-years", "SCHEDULED", "0 12 * * * 2090-2093", "0 0 12 * * *", Date.UTC(2090, 0, 1)),
  cron("cron-7", "SCHEDULED", "*/30 * * * * * *", "*/30 * * * * *"),
  cron("cron-macro", "SCHEDULED", "@daily", "0 0 0 * * *"),
  cron("cron-names", "SCHEDULED", "30 8 * * mon-fri", "0 30 8 * * 1-5"),
  cron("cron-nearest-weekday", "PAUSED", "0 9 15W * *", "0 0 9 15 * *"),
  cron("cron-year-gaps", "PAUSED", "0 9 * * 1 2090,2092", "0 0 9 * * 1", Date.UTC(2090, 0, 1)),
  { name: "spec-pending", state: "SCHEDULED", task: (i, now) => ({ sched_mode: 1, plan_sched_next_at: now + 60 + (i % 86_400), run_times: 0, allow_max_run_times: "1" }) },
  { name: "spec-done", state: "FINISHED", task: (_i, now) => ({ sched_mode: 1, plan_sched_next_at: now - 60, run_times: 1, allow_max_run_times: "1" }) },
  { name: "interval-deleted", state: "STOPPED", task: (_i, now) => ({ sched_mode: 3, time_interval_sec: 10, plan_sched_next_at: now + 10, run_times: 3, deleted_at: now - 100 }) },
  { name: "cron-deleted", state: "STOPPED", task: (i, now) => ({ ...cron("", "STOPPED", "0 9 * * 1 *", "0 0 9 * * 1").task(i, now), deleted_at: now - 100 }) },
  { name: "interval-exhausted", state: "FINISHED", task: (_i, now) => ({ sched_mode: 3, time_interval_sec: 10, plan_sched_next_at: now + 10, run_times: 5, allow_max_run_times: "5" }) },
  { name: "latin1-arg", state: "SCHEDULED", task: (i, now) => ({ sched_mode: 3, time_interval_sec: 30, plan_sched_next_at: now + 30, arg: `café ü € ${i}` }) },
  { name: "server-missing", state: "PAUSED", task: (_i, now) => ({ sched_mode: 3, time_interval_sec: 30, plan_sched_next_at: now + 30, callback_srv_id: 999_999 }) },
];

// A run of the original in each of the shapes its task_log holds.
const RUNS: { state: string; status: number; async: number; resp: string; err: string }[] = [
  { state: "SUCCEEDED", status: 3, async: 0, resp: '{"is_success":true}', err: "" },
  { state: "FAILED", status: 4, async: 0, resp: '{"is_success":false}', err: "" },
  // Left at 2 by the original's bug; the answer decides.
  { state: "SUCCEEDED", status: 2, async: 0, resp: '{"is_success":true,"extra":"ok"}', err: "" },
  { state: "ASYNC_WAITING", status: 2, async: 1, resp: '{"is_run_in_async":true}', err: "" },
  { state: "FAILED", status: 2, async: 0, resp: "", err: "connect: connection refused" },
  { state: "ABORTED", status: 2, async: 0, resp: "", err: "" },
];

export const kindOf = (taskId: number) => GO_KINDS[(taskId - 1) % GO_KINDS.length]!;
export const runShapeOf = (taskId: number, runTimes: number) => RUNS[(taskId + runTimes) % RUNS.length]!;

const quote = (conn: Connection, v: unknown) => conn.escape(v);

async function insertRows(conn: Connection, table: string, columns: string[], rows: unknown[][], batch: number): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows.slice(i, i + batch).map((r) => `(${r.map((v) => quote(conn, v)).join(",")})`);
    await conn.query(`INSERT INTO ${table} (${columns.join(",")}) VALUES ${values.join(",")}`);
  }
}

// `tasks` tasks (ids from 1, kinds in turn) on tasks/100 task servers with two
// routes each (one removed), and `runsPerTask` runs each; times around `now`
// (unix seconds). The tables must be empty.
export async function insertGoDataset(conn: Connection, opts: { tasks: number; runsPerTask: number; now: number; onProgress?: (what: string) => void }): Promise<void> {
  const { now } = opts;
  const servers = Math.max(1, Math.ceil(opts.tasks / 100));
  const base = ["created_at", "updated_at", "deleted_at"];
  await insertRows(conn, "task_callback_srv", ["id", ...base, "name", "checked_health_at", "has_enable_health_check"], Array.from({ length: servers }, (_, s) => [s + 1, now - 86_400, now, 0, `srv-${s + 1}`, now - 5, 1]), 1000);
  const routes = Array.from({ length: servers }, (_, s) => [
    [2 * s + 1, now - 86_400, now, 0, "http", "127.0.0.1", 20_000 + s, s + 1, 5, now - 5, 1],
    [2 * s + 2, now - 86_400, now, now - 60, "http", "127.0.0.2", 20_000 + s, s + 1, 5, now - 65, 1],
  ]).flat();
  await insertRows(conn, "task_callback_srv_route", ["id", ...base, "srv_schema", "host", "port", "srv_id", "callback_timeout_sec", "checked_health_at", "enable_health_check"], routes, 1000);
  const taskColumns = ["id", ...base, "name", "arg", "last_run_at", "plan_sched_next_at", "time_cron_expr", "time_interval_sec", "sched_mode", "callback_srv_id", "run_times", "allow_max_run_times", "max_run_time_sec", "callback_path", "biz_id"];
  const taskRows = Array.from({ length: opts.tasks }, (_, n) => {
    const id = n + 1;
    const kind = kindOf(id);
    const t: GoTask = { deleted_at: 0, arg: `arg-${id}`, plan_sched_next_at: now, time_cron_expr: "", time_interval_sec: 0, sched_mode: 3, callback_srv_id: (id % servers) + 1, run_times: 0, allow_max_run_times: NO_LIMIT, max_run_time_sec: 0, ...kind.task(id, now) };
    return [id, now - 86_400, now - 60, t.deleted_at, `${kind.name}-${id}`, t.arg, now - 60, t.plan_sched_next_at, t.time_cron_expr, t.time_interval_sec, t.sched_mode, t.callback_srv_id, t.run_times, t.allow_max_run_times, t.max_run_time_sec, `/${kind.name}`, `biz-${id}`];
  });
  await insertRows(conn, "task", taskColumns, taskRows, 2000);
  opts.onProgress?.(`${opts.tasks} tasks inserted`);
  const logColumns = ["id", ...base, "task_id", "started_at", "ended_at", "task_status", "is_run_in_async", "resp_extra", "run_times", "srv_id", "req_snapshot", "resp_snapshot", "callback_err"];
  const perBatch = Math.max(1, Math.floor(5000 / Math.max(1, opts.runsPerTask)));
  for (let first = 1; first <= opts.tasks; first += perBatch) {
    const rows: unknown[][] = [];
    for (let id = first; id < first + perBatch && id <= opts.tasks; id++) {
      for (let r = 1; r <= opts.runsPerTask; r++) {
        const shape = runShapeOf(id, r);
        const at = now - 3600 + r;
        const req = JSON.stringify({ srv_schema: "http", host: "127.0.0.1", port: 20_000, timeout_sec: 5, callback_at: at, callback_path: "/run" });
        const resp = JSON.stringify({ resp_raw: shape.resp });
        rows.push([(id - 1) * opts.runsPerTask + r, at, at, 0, id, at, shape.status > 2 ? at + 1 : 0, shape.status, shape.async, "", r, 1, req, resp, shape.err]);
      }
    }
    await insertRows(conn, "task_log", logColumns, rows, rows.length);
    if ((first - 1) % (perBatch * 50) === 0) opts.onProgress?.(`runs of ${first - 1 + perBatch} tasks inserted`);
  }
}
