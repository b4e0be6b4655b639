import { sql, type Insertable, type Selectable } from "kysely";
import { TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { Db, TaskTable } from "./database.js";
import { findTaskServerId } from "./taskServers.js";
import { transaction } from "./transaction.js";

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

export const inShard = (shard: Shard) => sql<boolean>`(${sql.ref("task.id")} % ${SHARD_SPACE}) between ${shard.lo} and ${shard.hi}`;

// The columns a user sets through AddTask.
export type TaskFields = Omit<Insertable<TaskTable>, "id" | "state" | "run_times" | "version" | "queued" | "created_at" | "updated_at">;

// The task server a task was written for no longer exists (deleted meanwhile).
export class TaskServerGone extends Error {
  constructor(readonly taskServerId: number) {
    super(`task server ${taskServerId} no longer exists`);
  }
}

// Creates the task, or updates the one with the same name and biz_id and
// schedules it again (reviving a stopped or finished task). Returns its id.
// One statement either way: SQLite returns the id, MySQL hands it over
// through LAST_INSERT_ID(id) on the update path. The row is selected from
// its task server's row, so a task is never written for a task server
// deleted a moment ago (or one a caller's cache still remembers): that
// throws TaskServerGone.
export async function upsertTask(db: Db, t: TaskFields, now: number): Promise<number> {
  const fields = { ...t, state: TaskState.SCHEDULED, updated_at: now };
  const { name: _name, biz_id: _bizId, ...changed } = fields;
  // Qualified: the task server's row, selected from, has an id too.
  const onUpdate = { ...changed, version: sql<number>`task.version + 1` };
  const values: Record<string, unknown> = { ...fields, created_at: now };
  const columns = Object.keys(values) as (keyof TaskTable)[];
  const insert = db.kysely
    .insertInto("task")
    .columns(columns)
    .expression(
      db.kysely
        .selectFrom("task_server")
        .select((eb) => columns.map((c) => eb.val(values[c]).as(c)))
        .where("task_server.id", "=", t.task_server_id),
    );
  if (db.dialect === "mysql") {
    const result = await insert.onDuplicateKeyUpdate({ ...onUpdate, id: sql<number>`LAST_INSERT_ID(task.id)` }).executeTakeFirstOrThrow();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw new TaskServerGone(t.task_server_id);
    return Number(result.insertId);
  }
  const row = await insert
    .onConflict((oc) => oc.columns(["name", "biz_id"]).doUpdateSet(onUpdate))
    .returning("id")
    .executeTakeFirst();
  if (!row) throw new TaskServerGone(t.task_server_id);
  return row.id;
}

// Moves the task to a state with its next fire time, if it is in one of
// `from`; the version bump makes a run claimed from an older read fail.
// Returns false when the task is missing or in another state.
export async function setTaskState(db: Db, taskId: number, from: TaskState[], to: TaskState, nextFireAt: number | null, now: number): Promise<boolean> {
  const result = await db.kysely
    .updateTable("task")
    .set((eb) => ({ state: to, next_fire_at: nextFireAt, version: eb("version", "+", 1), updated_at: now }))
    .where("id", "=", taskId)
    .where("state", "in", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteTask(db: Db, taskId: number): Promise<boolean> {
  return transaction(db, async (tx) => {
    const result = await tx.kysely.deleteFrom("task").where("id", "=", taskId).executeTakeFirst();
    await tx.kysely.deleteFrom("task_log").where("task_id", "=", taskId).execute();
    return Number(result.numDeletedRows) > 0;
  });
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
  // Text that the name or the biz_id contains, ignoring ASCII case.
  query?: string;
}

// LIKE treats % and _ as wildcards; the search text is matched literally.
// "!" escapes them: a backslash would itself need escaping in MySQL strings.
const likePattern = (text: string) => `%${text.replace(/[!%_]/g, (c) => "!" + c)}%`;

// `column` contains `text`, ignoring ASCII case unless `exactCase`.
export const containsText = (column: string, text: string, exactCase = false) =>
  exactCase
    ? sql<boolean>`${sql.ref(column)} like ${likePattern(text)} escape '!'`
    : sql<boolean>`lower(${sql.ref(column)}) like ${likePattern(text.toLowerCase())} escape '!'`;

// The tasks alone, in id order, and the few task server names after: a
// join lets MySQL start from task_server and sort every task of it.
export async function listTasks(db: Db, f: TaskFilter): Promise<TaskWithServer[]> {
  let q = db.kysely.selectFrom("task").selectAll().where("id", ">", f.afterId);
  if (f.srvName) {
    const taskServerId = await findTaskServerId(db, f.srvName);
    if (taskServerId === undefined) return [];
    q = q.where("task_server_id", "=", taskServerId);
  }
  if (f.state) q = q.where("state", "=", f.state);
  if (f.query) {
    const query = f.query;
    q = q.where((eb) => eb.or([containsText("name", query), containsText("biz_id", query)]));
  }
  const rows = await q.orderBy("id").limit(f.limit).execute();
  const serverIds = [...new Set(rows.map((r) => r.task_server_id))];
  const names = serverIds.length ? await db.kysely.selectFrom("task_server").select(["id", "name"]).where("id", "in", serverIds).execute() : [];
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  return rows.map((r) => ({ ...r, srv_name: nameOf.get(r.task_server_id) ?? "" }));
}

// Scheduled tasks of the shard due in (after, until]: the slice of time the
// scheduler adds to its timers.
export async function loadDueWindow(db: Db, after: number, until: number, shard: Shard, limit: number): Promise<TaskRow[]> {
  return db.kysely
    .selectFrom("task")
    .selectAll()
    .where("state", "=", TaskState.SCHEDULED)
    .where("next_fire_at", ">", after)
    .where("next_fire_at", "<=", until)
    .where(inShard(shard))
    .orderBy("next_fire_at")
    .limit(limit)
    .execute();
}

// Scheduled tasks of the shard changed since `since` (on any node) and due
// by `until`: the ones the scheduler's timers may hold a stale copy of or
// lack. Tasks changed to a later time come with their slice of time; tasks
// stopped or paused are found when their claim fails.
export async function loadChangedTasks(db: Db, since: number, until: number, shard: Shard): Promise<TaskRow[]> {
  return db.kysely
    .selectFrom("task")
    .selectAll()
    .where("updated_at", ">=", since)
    .where("state", "=", TaskState.SCHEDULED)
    .where("next_fire_at", "<=", until)
    .where(inShard(shard))
    .execute();
}

export async function getTasks(db: Db, ids: number[]): Promise<TaskRow[]> {
  if (ids.length === 0) return [];
  return db.kysely.selectFrom("task").selectAll().where("id", "in", ids).execute();
}
