import { sql } from "kysely";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "./database.js";
import { integerDivision } from "./dialect.js";

export const MINUTE_MS = 60_000;
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
