import { sql, type RawBuilder } from "kysely";
import { RunState, SchedMode, TaskState } from "../../../gen/easytask/v1/task_pb.js";
import { convertGoCron, type GoCronConversion } from "../../calendar/goCron.js";
import type { GoTable, SqlDb } from "./goTables.js";
import { mapGoTask, type GoTaskRow, type MappingContext } from "./taskMapping.js";

// Copies the original's data, renamed aside, into easytask's tables: task
// servers and routes and run history with a statement each (the database
// converts the latin1 text on the way), tasks a page at a time through
// mapGoTask. The caller runs it in one transaction; with `write` false it
// only counts what it would copy (the dry run).

const TASK_PAGE = 1000;
// Holds the tasks whose task server the original does not have.
export const MISSING_SERVER_NAME = "easytask-go-missing-server";
const NOT_RECORDED = "easytask (Go) recorded no result for this run: it was in flight when easytask (Go) stopped, or it failed to record it";
// An async run open at the upgrade waits this long for its confirmation.
const OPEN_ASYNC_WAIT_MS = 24 * 3600 * 1000;

// Where the original's tables are: renamed aside, or (dry run) still in place.
export type GoTableNames = (table: GoTable) => string;
type Source = (table: GoTable) => RawBuilder<unknown>;
const count = async (db: SqlDb, query: RawBuilder<unknown>) => Number(((await query.execute(db.kysely)).rows[0] as { n: unknown }).n ?? 0);

export interface CronOutcome {
  tasks: number;
  // Ids of the tasks paused for it (at most 100 listed).
  taskIds: number[];
  conversion: GoCronConversion;
}

export interface ImportSummary {
  taskServers: number;
  routes: number;
  routesSkipped: number;
  tasks: number;
  tasksByMode: Record<string, number>;
  tasksByState: Record<string, number>;
  // By the original's expression.
  crons: Map<string, CronOutcome>;
  // Cron tasks whose next due time is not a slot of their converted cron in
  // the time zone used.
  offSchedule: number;
  history: number;
  historySkipped: number;
  historyByState: Record<string, number>;
}

const bump = (counts: Record<string, number>, key: string) => (counts[key] = (counts[key] ?? 0) + 1);

async function copyTaskServers(db: SqlDb, go: Source, write: boolean): Promise<{ servers: number; known: Set<number>; missing: number }> {
  const { rows } = await sql<{ id: number }>`select id from ${go("task_callback_srv")}`.execute(db.kysely);
  const known = new Set(rows.map((r) => Number(r.id)));
  const missing = await count(db, sql`select count(*) as n from ${go("task")} t left join ${go("task_callback_srv")} s on s.id = t.callback_srv_id where s.id is null`);
  if (write) {
    await sql`insert into task_server (id, name, created_at)
      select id, coalesce(name, concat('easytask-go-server-', id)), coalesce(created_at, 0) * 1000 from ${go("task_callback_srv")}`.execute(db.kysely);
  }
  return { servers: known.size, known, missing };
}

async function copyRoutes(db: SqlDb, go: Source, write: boolean): Promise<{ routes: number; skipped: number }> {
  // Soft-deleted routes (removed, or dropped after a failed heartbeat) stay
  // behind, as do schemes easytask cannot call.
  const usable = sql`from ${go("task_callback_srv_route")} r join ${go("task_callback_srv")} s on s.id = r.srv_id
    where coalesce(r.deleted_at, 0) = 0 and lower(r.srv_schema) in ('http', 'https') and r.host is not null and r.port between 1 and 65535`;
  const total = await count(db, sql`select count(*) as n from ${go("task_callback_srv_route")}`);
  const routes = await count(db, sql`select count(*) as n ${usable}`);
  if (write) {
    await sql`insert into task_server_route (id, task_server_id, \`schema\`, host, port, callback_timeout_sec, is_enable_health_check, failed_health_checks, last_heartbeat_at, created_at)
      select r.id, r.srv_id, lower(r.srv_schema), r.host, r.port,
        if(coalesce(r.callback_timeout_sec, 0) <= 0, 30, least(r.callback_timeout_sec, 3600)),
        if(coalesce(r.enable_health_check, 0) <> 0, 1, 0), 0,
        nullif(coalesce(r.checked_health_at, 0), 0) * 1000, coalesce(r.created_at, 0) * 1000
      ${usable}`.execute(db.kysely);
  }
  return { routes, skipped: total - routes };
}

async function copyTasks(db: SqlDb, go: Source, ctx: Omit<MappingContext, "convert" | "knownServers" | "missingServerId">, servers: { known: Set<number>; missing: number }, write: boolean, summary: ImportSummary): Promise<void> {
  let missingServerId = 0;
  if (servers.missing > 0 && write) {
    const result = await sql`insert into task_server (name, created_at) values (${MISSING_SERVER_NAME}, ${ctx.now})`.execute(db.kysely);
    missingServerId = Number(result.insertId);
  }
  const conversions = new Map<string, GoCronConversion>();
  const convert = (expr: string) => {
    let c = conversions.get(expr);
    if (!c) conversions.set(expr, (c = convertGoCron(expr, ctx.timeZone, ctx.now)));
    return c;
  };
  const mapping: MappingContext = { ...ctx, convert, knownServers: servers.known, missingServerId };
  for (let after = 0; ; ) {
    const { rows } = await sql<GoTaskRow>`select id, created_at, deleted_at, name, arg, plan_sched_next_at, time_cron_expr, time_interval_sec,
        sched_mode, callback_srv_id, run_times, allow_max_run_times, max_run_time_sec, callback_path, biz_id
      from ${go("task")} where id > ${after} order by id limit ${TASK_PAGE}`.execute(db.kysely);
    if (rows.length === 0) return;
    after = Number(rows.at(-1)!.id);
    const mapped = rows.map((r) => mapGoTask({ ...r, id: Number(r.id) }, mapping));
    for (const m of mapped) {
      summary.tasks++;
      bump(summary.tasksByMode, SchedMode[m.row.sched_mode] ?? "UNSPECIFIED");
      bump(summary.tasksByState, TaskState[m.row.state]!);
      if (m.offSchedule) summary.offSchedule++;
      if (m.cron) {
        const outcome = summary.crons.get(m.cron.goExpr) ?? { tasks: 0, taskIds: [], conversion: m.cron.conversion };
        outcome.tasks++;
        if (m.row.paused_reason && outcome.taskIds.length < 100) outcome.taskIds.push(m.row.id);
        summary.crons.set(m.cron.goExpr, outcome);
      }
    }
    if (write) await db.kysely.insertInto("task").values(mapped.map((m) => m.row)).execute();
  }
}

// The original's run history as easytask's task_log rows. Its task_status
// (2 running, 3 succeeded, 4 failed) is often left at 2 (its bug: it fails
// to record results), so the task server's answer in resp_snapshot decides
// then; a run with neither an answer nor an error was cut short.
function historySelect(go: Source, now: number): RawBuilder<unknown> {
  const s = (state: RunState) => sql.lit(state);
  const json = (doc: RawBuilder<unknown>, path: string) => sql`json_unquote(json_extract(${doc}, ${sql.lit(path)}))`;
  const read = sql`select l.id, l.task_id, l.run_times, l.task_status, coalesce(l.is_run_in_async, 0) as is_async, l.ended_at, l.callback_err, l.resp_extra,
      coalesce(nullif(l.started_at, 0), l.created_at, 0) as started,
      if(json_valid(convert(l.req_snapshot using utf8mb4)), convert(l.req_snapshot using utf8mb4), null) as req,
      if(json_valid(l.resp_snapshot), ${json(sql`l.resp_snapshot`, "$.resp_raw")}, null) as raw
    from ${go("task_log")} l join ${go("task")} t on t.id = l.task_id
    where coalesce(l.deleted_at, 0) = 0 and l.run_times is not null`;
  const answered = sql`select g.*,
      if(json_valid(g.raw), ${json(sql`g.raw`, "$.is_success")}, null) as ok,
      if(json_valid(g.raw), ${json(sql`g.raw`, "$.is_run_in_async")}, null) as async_answer,
      if(json_valid(g.raw), ${json(sql`g.raw`, "$.extra")}, null) as answer_extra
    from (${read}) g`;
  const stated = sql`select h.*, case
        when h.task_status = 3 then ${s(RunState.SUCCEEDED)}
        when h.task_status = 4 then ${s(RunState.FAILED)}
        when h.ok = 'true' then ${s(RunState.SUCCEEDED)}
        when h.is_async <> 0 or h.async_answer = 'true' then ${s(RunState.ASYNC_WAITING)}
        when h.ok = 'false' or coalesce(h.callback_err, '') <> '' then ${s(RunState.FAILED)}
        else ${s(RunState.ABORTED)}
      end as state
    from (${answered}) h`;
  return sql`select x.id, x.task_id, x.run_times, 1 as attempt, x.state,
      left(coalesce(concat(${json(sql`x.req`, "$.srv_schema")}, '://', ${json(sql`x.req`, "$.host")}, ':', json_extract(x.req, '$.port')), ''), 300) as route,
      0 as http_status, left(coalesce(x.raw, ''), 65536) as response,
      case when coalesce(x.callback_err, '') <> '' then x.callback_err when x.state = ${s(RunState.ABORTED)} then ${NOT_RECORDED} else '' end as error,
      if(x.state = ${s(RunState.SUCCEEDED)}, 1, 0) as is_success,
      coalesce(nullif(x.resp_extra, ''), x.answer_extra, '') as extra,
      x.started * 1000 as due_at, x.started * 1000 as started_at,
      if(x.state = ${s(RunState.ASYNC_WAITING)}, null, coalesce(nullif(x.ended_at, 0), cast(json_extract(x.req, '$.callback_at') as signed), x.started) * 1000) as finished_at,
      if(x.is_async <> 0 and x.task_status in (3, 4) and x.ended_at > 0, x.ended_at * 1000, null) as confirmed_at,
      if(x.state = ${s(RunState.ASYNC_WAITING)}, ${now + OPEN_ASYNC_WAIT_MS}, null) as deadline_at,
      0 as pending_confirms
    from (${stated}) x`;
}

async function copyHistory(db: SqlDb, go: Source, now: number, write: boolean, summary: ImportSummary): Promise<void> {
  const total = await count(db, sql`select count(*) as n from ${go("task_log")}`);
  let byState: { state: number; n: unknown }[];
  if (write) {
    await sql`insert into task_log (id, task_id, run_times, attempt, state, route, http_status, response, error, is_success, extra,
        due_at, started_at, finished_at, confirmed_at, deadline_at, pending_confirms) ${historySelect(go, now)}`.execute(db.kysely);
    byState = (await sql<{ state: number; n: unknown }>`select state, count(*) as n from task_log group by state`.execute(db.kysely)).rows;
  } else {
    byState = (await sql<{ state: number; n: unknown }>`select y.state, count(*) as n from (${historySelect(go, now)}) y group by y.state`.execute(db.kysely)).rows;
  }
  for (const { state, n } of byState) {
    summary.historyByState[RunState[state]!] = Number(n);
    summary.history += Number(n);
  }
  summary.historySkipped = total - summary.history;
}

function emptySummary(): ImportSummary {
  return {
    taskServers: 0,
    routes: 0,
    routesSkipped: 0,
    tasks: 0,
    tasksByMode: {},
    tasksByState: {},
    crons: new Map(),
    offSchedule: 0,
    history: 0,
    historySkipped: 0,
    historyByState: {},
  };
}

// Reads (and with `write`, copies) everything; `db` is the caller's
// transaction, so either all of it lands or none.
export async function importGoData(db: SqlDb, opts: { timeZone: string; now: number; write: boolean; from: GoTableNames }): Promise<ImportSummary> {
  const go: Source = (table) => sql.table(opts.from(table));
  const summary = emptySummary();
  const servers = await copyTaskServers(db, go, opts.write);
  summary.taskServers = servers.servers;
  const routes = await copyRoutes(db, go, opts.write);
  summary.routes = routes.routes;
  summary.routesSkipped = routes.skipped;
  await copyTasks(db, go, { timeZone: opts.timeZone, now: opts.now }, servers, opts.write, summary);
  await copyHistory(db, go, opts.now, opts.write, summary);
  return summary;
}
