import { sql, type Selectable } from "kysely";
import { RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { Db, TaskTable } from "./database.js";

export type TaskRow = Selectable<TaskTable>;

// A scheduler works on a shard: a range of (task id mod SHARD_SPACE). One
// leader holds the whole range today; several could split it later without a
// schema change.
export const SHARD_SPACE = 4096;
export interface Shard {
  lo: number;
  hi: number;
}
export const WHOLE_RANGE: Shard = { lo: 0, hi: SHARD_SPACE - 1 };

const inShard = (shard: Shard) => sql<boolean>`(${sql.ref("task.id")} % ${SHARD_SPACE}) between ${shard.lo} and ${shard.hi}`;

export interface TaskFields {
  name: string;
  bizId: string;
  taskServerId: number;
  callbackPath: string;
  schedMode: number;
  timeCron: string;
  timeIntervalSec: number;
  timeSpecAt: number;
  arg: string;
  nextFireAt: number | null;
}

// Creates the task, or updates the one with the same name and biz_id and
// schedules it again (reviving a stopped or finished task). Returns its id.
export async function upsertTask(db: Db, t: TaskFields, now: number): Promise<number> {
  const fields = {
    task_server_id: t.taskServerId,
    callback_path: t.callbackPath,
    sched_mode: t.schedMode,
    time_cron: t.timeCron,
    time_interval_sec: t.timeIntervalSec,
    time_spec_at: t.timeSpecAt,
    arg: t.arg,
    state: TaskState.SCHEDULED,
    next_fire_at: t.nextFireAt,
    updated_at: now,
  };
  const onUpdate = { ...fields, version: sql<number>`version + 1` };
  return db.kysely.transaction().execute(async (trx) => {
    const insert = trx.insertInto("task").values({ name: t.name, biz_id: t.bizId, created_at: now, ...fields });
    await (db.dialect === "mysql"
      ? insert.onDuplicateKeyUpdate(onUpdate)
      : insert.onConflict((oc) => oc.columns(["name", "biz_id"]).doUpdateSet(onUpdate))
    ).execute();
    const row = await trx
      .selectFrom("task")
      .select("id")
      .where("name", "=", t.name)
      .where("biz_id", "=", t.bizId)
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

export async function stopTask(db: Db, taskId: number, now: number): Promise<boolean> {
  const result = await db.kysely
    .updateTable("task")
    .set((eb) => ({ state: TaskState.STOPPED, next_fire_at: null, version: eb("version", "+", 1), updated_at: now }))
    .where("id", "=", taskId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export type TaskWithServer = TaskRow & { srv_name: string };

const withServer = (db: Db) =>
  db.kysely.selectFrom("task").innerJoin("task_server", "task_server.id", "task.task_server_id").selectAll("task").select("task_server.name as srv_name");

export async function getTask(db: Db, taskId: number): Promise<TaskWithServer | undefined> {
  return withServer(db).where("task.id", "=", taskId).executeTakeFirst();
}

export interface TaskFilter {
  afterId: number;
  limit: number;
  srvName?: string;
  state?: number;
}

export async function listTasks(db: Db, f: TaskFilter): Promise<TaskWithServer[]> {
  let q = withServer(db).where("task.id", ">", f.afterId);
  if (f.srvName) q = q.where("task_server.name", "=", f.srvName);
  if (f.state) q = q.where("task.state", "=", f.state);
  return q.orderBy("task.id").limit(f.limit).execute();
}

export async function findDueTasks(db: Db, now: number, shard: Shard, limit: number): Promise<TaskRow[]> {
  return db.kysely
    .selectFrom("task")
    .selectAll()
    .where("state", "=", TaskState.SCHEDULED)
    .where("next_fire_at", "<=", now)
    .where(inShard(shard))
    .orderBy("next_fire_at")
    .limit(limit)
    .execute();
}

// The one place a run is fired: a compare-and-set on the version the task was
// read at, so two schedulers (or a scheduler and an API change) can never
// fire the same run, and the run is recorded in the same transaction.
// Returns the claimed run number, or undefined when someone else won.
export async function claimRun(db: Db, task: TaskRow, nextFireAt: number | null, shard: Shard, now: number): Promise<number | undefined> {
  return db.kysely.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("task")
      .set({
        run_times: task.run_times + 1,
        next_fire_at: nextFireAt,
        state: nextFireAt === null ? TaskState.FINISHED : TaskState.SCHEDULED,
        version: task.version + 1,
      })
      .where("id", "=", task.id)
      .where("version", "=", task.version)
      .where("state", "=", TaskState.SCHEDULED)
      .where(inShard(shard))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return undefined;
    const runTimes = task.run_times + 1;
    await trx
      .insertInto("task_log")
      .values({
        task_id: task.id,
        run_times: runTimes,
        attempt: 1,
        state: RunState.RUNNING,
        route: "",
        http_status: 0,
        response: "",
        error: "",
        is_success: 0,
        extra: "",
        due_at: task.next_fire_at ?? now,
        started_at: now,
      })
      .execute();
    return runTimes;
  });
}

// When the next task of the shard is due (epoch ms), so the scheduler can
// sleep exactly until then.
export async function nextDueAt(db: Db, shard: Shard): Promise<number | null> {
  const row = await db.kysely
    .selectFrom("task")
    .select((eb) => eb.fn.min("next_fire_at").as("at"))
    .where("state", "=", TaskState.SCHEDULED)
    .where(inShard(shard))
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}
