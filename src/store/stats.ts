import { sql } from "kysely";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "./database.js";
import { integerDivision } from "./dialect.js";

export const MINUTE_MS = 60_000;
// Attempts of one task a history reads at most, newest first.
export const HISTORY_SCAN = 100_000;
const FAILED = [RunState.FAILED, RunState.TIMEOUT];

export interface Counts {
  tasksByState: Map<number, number>;
  taskServers: number;
  routes: number;
  routesUnhealthy: number;
  routesEvicted: number;
}

export async function countTasksAndRoutes(db: Db): Promise<Counts> {
  const k = db.kysely;
  const byState = await k.selectFrom("task").select(["state", (eb) => eb.fn.countAll<number>().as("n")]).groupBy("state").execute();
  const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  const routes = () => k.selectFrom("task_server_route").select((eb) => eb.fn.countAll<number>().as("n"));
  return {
    tasksByState: new Map(byState.map((r) => [r.state, Number(r.n)])),
    taskServers: await count(k.selectFrom("task_server").select((eb) => eb.fn.countAll<number>().as("n"))),
    routes: await count(routes()),
    routesUnhealthy: await count(routes().where("failed_health_checks", ">", 0)),
    routesEvicted: await count(k.selectFrom("route_eviction").select((eb) => eb.fn.countAll<number>().as("n"))),
  };
}

export interface MinuteRow {
  minute: number;
  fires: number;
  failures: number;
  latenessP99: number;
}

// The runs started since `since` (pending retries and triggered runs not yet
// started do not count), grouped by minute. The percentile is taken in the
// database so that an hour of runs never travels to this process: each
// run's rank by lateness within its minute, keeping the one at 99%.
export async function runsPerMinute(db: Db, since: number): Promise<MinuteRow[]> {
  const minute = integerDivision(db, sql`started_at`, MINUTE_MS);
  const { rows } = await sql<{ minute: number; fires: number; failures: number; p99: number | null }>`
    select minute, max(n) as fires, sum(failed) as failures, max(case when rn = ceil(n * 0.99) then lateness end) as p99
    from (
      select ${minute} as minute,
             case when started_at > due_at then started_at - due_at else 0 end as lateness,
             case when state in (${sql.join(FAILED)}) then 1 else 0 end as failed,
             row_number() over (partition by ${minute} order by started_at - due_at) as rn,
             count(*) over (partition by ${minute}) as n
      from task_log
      where started_at >= ${since} and state <> ${RunState.PENDING}
    ) runs
    group by minute
    order by minute`.execute(db.kysely);
  return rows.map((r) => ({ minute: Number(r.minute) * MINUTE_MS, fires: Number(r.fires), failures: Number(r.failures), latenessP99: Number(r.p99 ?? 0) }));
}

// The same over the whole span: how many runs, and their lateness p99.
export async function runsSince(db: Db, since: number): Promise<{ fires: number; latenessP99: number }> {
  const { rows } = await sql<{ fires: number; p99: number | null }>`
    select max(n) as fires, max(case when rn = ceil(n * 0.99) then lateness end) as p99
    from (
      select case when started_at > due_at then started_at - due_at else 0 end as lateness,
             row_number() over (order by started_at - due_at) as rn,
             count(*) over () as n
      from task_log
      where started_at >= ${since} and state <> ${RunState.PENDING}
    ) runs`.execute(db.kysely);
  return { fires: Number(rows[0]?.fires ?? 0), latenessP99: Number(rows[0]?.p99 ?? 0) };
}

export interface FailingTaskRow {
  task_id: number;
  name: string;
  srv_name: string;
  failures: number;
  last_failure_at: number;
}

// Tasks with failed or timed-out runs since `since`, most failures first.
export async function failingTasks(db: Db, since: number, limit: number): Promise<FailingTaskRow[]> {
  const rows = await db.kysely
    .selectFrom("task_log")
    .innerJoin("task", "task.id", "task_log.task_id")
    .innerJoin("task_server", "task_server.id", "task.task_server_id")
    .select((eb) => [
      "task_log.task_id",
      "task.name",
      "task_server.name as srv_name",
      eb.fn.countAll<number>().as("failures"),
      eb.fn.max("task_log.started_at").as("last_failure_at"),
    ])
    .where("task_log.started_at", ">=", since)
    .where("task_log.state", "in", FAILED)
    .groupBy(["task_log.task_id", "task.name", "task_server.name"])
    .orderBy("failures", "desc")
    .orderBy("last_failure_at", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, failures: Number(r.failures), last_failure_at: Number(r.last_failure_at) }));
}

export interface HistoryRow {
  // Start of the bucket, epoch ms.
  bucket: number;
  succeeded: number;
  failed: number;
  total: number;
  durationAvg: number;
  durationMax: number;
}

// A task's attempts started since `since`, per bucket: how they ended and
// how long the finished ones took. It reads the task's newest HISTORY_SCAN
// attempts at most, through the (task_id, run_times, attempt) index;
// `truncated` says whether older ones in the period were left out.
export async function taskHistory(db: Db, taskId: number, since: number, bucketMs: number): Promise<{ rows: HistoryRow[]; truncated: boolean }> {
  const finished = sql`case when finished_at is not null then finished_at - started_at end`;
  const { rows } = await sql<{ bucket: number; succeeded: number; failed: number; total: number; avg_ms: number | null; max_ms: number | null }>`
    select bucket, sum(succeeded) as succeeded, sum(failed) as failed, count(*) as total, avg(took) as avg_ms, max(took) as max_ms
    from (
      select ${integerDivision(db, sql`started_at`, bucketMs)} as bucket,
             case when state = ${RunState.SUCCEEDED} then 1 else 0 end as succeeded,
             case when state in (${sql.join(FAILED)}) then 1 else 0 end as failed,
             ${finished} as took,
             started_at
      from task_log
      where task_id = ${taskId} and state <> ${RunState.PENDING}
      order by run_times desc, attempt desc
      limit ${HISTORY_SCAN}
    ) recent
    where started_at >= ${since}
    group by bucket
    order by bucket`.execute(db.kysely);
  const older = await db.kysely
    .selectFrom("task_log")
    .select("started_at")
    .where("task_id", "=", taskId)
    .where("state", "<>", RunState.PENDING)
    .orderBy("run_times", "desc")
    .orderBy("attempt", "desc")
    .offset(HISTORY_SCAN)
    .limit(1)
    .executeTakeFirst();
  return {
    rows: rows.map((r) => ({
      bucket: Number(r.bucket) * bucketMs,
      succeeded: Number(r.succeeded),
      failed: Number(r.failed),
      total: Number(r.total),
      durationAvg: Math.round(Number(r.avg_ms ?? 0)),
      durationMax: Number(r.max_ms ?? 0),
    })),
    truncated: older !== undefined && older.started_at >= since,
  };
}
