import { sql, type Insertable, type Selectable } from "kysely";
import { TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { Db, TaskTable } from "./database.js";
import { findTaskServerId, liveTaskServers } from "./taskServers.js";
import { orUpdateFromInserted, upsertReturningId } from "./dialect.js";
import { transaction } from "./transaction.js";
import { SHARD_SPACE } from "../policy/shards.js";

export type TaskRow = Selectable<TaskTable>;

// The shards a scheduler works on (policy/shards.ts): the tasks whose
// (id % SHARD_SPACE) % total is one of `led`. Every due-window query, claim
// and sweep filters by them.
export interface ShardFilter {
  total: number;
  led: readonly number[];
}

// `column` holds a task id. Every shard (a standalone node): no filter.
export function inShards(shards: ShardFilter, column: "task.id" | "task_log.task_id" = "task.id") {
  if (shards.led.length === 0) return sql<boolean>`1 = 0`;
  if (shards.led.length === shards.total) return sql<boolean>`1 = 1`;
  return sql<boolean>`((${sql.ref(column)} % ${SHARD_SPACE}) % ${shards.total}) in (${sql.join(shards.led)})`;
}

// The columns a user sets through AddTask.
export type TaskFields = Omit<Insertable<TaskTable>, "id" | "state" | "run_times" | "version" | "queued" | "created_at" | "updated_at">;

// Creates the task, or updates the one with the same name and biz_id and
// schedules it again (reviving a stopped or finished task, and one paused
// for want of a schedule: it has a new one now). Returns its id, in one
// statement either way.
export async function upsertTask(db: Db, t: TaskFields, now: number): Promise<number> {
  const fields = { ...t, state: TaskState.SCHEDULED, paused_reason: "", updated_at: now };
  const { name: _name, biz_id: _bizId, ...changed } = fields;
  const insert = db.kysely.insertInto("task").values({ ...fields, created_at: now });
  return upsertReturningId(db, insert, ["name", "biz_id"], { ...changed, version: sql<number>`version + 1` });
}

// upsertTask for many tasks in three statements, whatever their number (for
// group commits of concurrent AddTask calls). Returns their ids, in order.
export async function upsertTasks(db: Db, tasks: TaskFields[], now: number): Promise<number[]> {
  const rows = tasks.map((t) => ({ ...t, state: TaskState.SCHEDULED, paused_reason: "", updated_at: now, created_at: now }));
  const changed = Object.keys(rows[0]).filter((c) => c !== "name" && c !== "biz_id" && c !== "created_at") as (keyof TaskTable & string)[];
  await orUpdateFromInserted(db, db.kysely.insertInto("task").values(rows), ["name", "biz_id"], changed, { version: sql<number>`version + 1` }).execute();
  // The ids, matched by the database's own comparison of names (MySQL's
  // collation may call two spellings the same name).
  const wanted = sql.join(
    rows.map((r, i) => sql`select ${i} as i, ${r.name} as name, ${r.biz_id} as biz_id`),
    sql` union all `,
  );
  const { rows: found } = await sql<{ i: number; id: number }>`select w.i as i, t.id as id from task t join (${wanted}) w on t.name = w.name and t.biz_id = w.biz_id`.execute(db.kysely);
  const ids: number[] = [];
  for (const f of found) ids[Number(f.i)] = Number(f.id);
  return ids;
}

// upsertTasks for the tasks whose task server still exists, read with a
// shared lock so that it is not deleted before this commits (a caller may
// hold the id of a task server deleted since); undefined for the others.
export async function upsertTasksOfLiveServers(db: Db, tasks: TaskFields[], now: number): Promise<(number | undefined)[]> {
  const live = await liveTaskServers(db, [...new Set(tasks.map((t) => t.task_server_id))]);
  const writable = tasks.filter((t) => live.has(t.task_server_id));
  const ids = writable.length > 0 ? await upsertTasks(db, writable, now) : [];
  const idOf = new Map(writable.map((t, i) => [t, ids[i]]));
  return tasks.map((t) => idOf.get(t));
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

// Scheduled tasks of the shards due in (after, until]: the slice of time the
// scheduler adds to its timers.
export async function loadDueWindow(db: Db, after: number, until: number, shards: ShardFilter, limit: number): Promise<TaskRow[]> {
  return db.kysely
    .selectFrom("task")
    .selectAll()
    .where("state", "=", TaskState.SCHEDULED)
    .where("next_fire_at", ">", after)
    .where("next_fire_at", "<=", until)
    .where(inShards(shards))
    .orderBy("next_fire_at")
    .limit(limit)
    .execute();
}

// Scheduled tasks of the shards changed since `since` (on any node) and due
// by `until`: the ones the scheduler's timers may hold a stale copy of or
// lack. Tasks changed to a later time come with their slice of time; tasks
// stopped or paused are found when their claim fails.
export async function loadChangedTasks(db: Db, since: number, until: number, shards: ShardFilter): Promise<TaskRow[]> {
  return db.kysely
    .selectFrom("task")
    .selectAll()
    .where("updated_at", ">=", since)
    .where("state", "=", TaskState.SCHEDULED)
    .where("next_fire_at", "<=", until)
    .where(inShards(shards))
    .execute();
}

export async function getTasks(db: Db, ids: number[]): Promise<TaskRow[]> {
  if (ids.length === 0) return [];
  return db.kysely.selectFrom("task").selectAll().where("id", "in", ids).execute();
}
