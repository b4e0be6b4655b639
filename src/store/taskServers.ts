import type { Selectable } from "kysely";
import type { Db, RouteEvictionTable, TaskServerRouteTable } from "./database.js";
import { forShare, orKeep, orUpdate } from "./dialect.js";
import { transaction } from "./transaction.js";

export type RouteRow = Selectable<TaskServerRouteTable>;
export type EvictionRow = Selectable<RouteEvictionTable>;

// A route as the scheduler calls it: with its task server's signing secret,
// read in the same query so no callback costs another one.
export type CallbackRoute = RouteRow & { secret: string | null };

export interface RouteKey {
  name: string;
  schema: string;
  host: string;
  port: number;
}

export interface RouteSettings extends RouteKey {
  callbackTimeoutSec: number;
  isEnableHealthCheck: boolean;
  // Of the task server: undefined keeps the current one, null removes it.
  secret?: string | null;
}

export async function findTaskServerId(db: Db, name: string): Promise<number | undefined> {
  const row = await db.kysely.selectFrom("task_server").select("id").where("name", "=", name).executeTakeFirst();
  return row?.id;
}

// Insert-or-keep first and read after: inside a MySQL transaction a read
// taken before the insert would pin a snapshot that misses a server
// registered concurrently by another request.
async function ensureTaskServer(db: Db, name: string, now: number): Promise<number> {
  const insert = db.kysely.insertInto("task_server").values({ name, created_at: now });
  await orKeep(db, insert, ["name"]).execute();
  const id = await findTaskServerId(db, name);
  if (id === undefined) throw new Error(`task server ${name} vanished while being registered`);
  return id;
}

export type UpsertRouteResult = "saved" | "too_many_routes";

// Adds the route to the named task server (created on first use), unless the
// server already has maxRoutes others; an existing route gets the new
// settings and a clean health record.
export async function upsertRoute(db: Db, route: RouteSettings, now: number, maxRoutes: number): Promise<UpsertRouteResult> {
  return transaction(db, async (tx) => {
    const trx = tx.kysely;
    const taskServerId = await ensureTaskServer(tx, route.name, now);
    const { others } = await trx
      .selectFrom("task_server_route")
      .select((eb) => eb.fn.countAll<number>().as("others"))
      .where("task_server_id", "=", taskServerId)
      .where((eb) => eb.or([eb("schema", "!=", route.schema), eb("host", "!=", route.host), eb("port", "!=", route.port)]))
      .executeTakeFirstOrThrow();
    if (Number(others) >= maxRoutes) return "too_many_routes";
    if (route.secret !== undefined) await trx.updateTable("task_server").set({ secret: route.secret }).where("id", "=", taskServerId).execute();
    const settings = {
      callback_timeout_sec: route.callbackTimeoutSec,
      is_enable_health_check: route.isEnableHealthCheck ? 1 : 0,
      failed_health_checks: 0,
    };
    const insert = trx.insertInto("task_server_route").values({
      task_server_id: taskServerId,
      schema: route.schema,
      host: route.host,
      port: route.port,
      created_at: now,
      ...settings,
    });
    await orUpdate(tx, insert, ["task_server_id", "schema", "host", "port"], settings).execute();
    // Registered again: the route is back, so its eviction is over.
    await deleteEviction(tx, taskServerId, route);
    return "saved";
  });
}

// A route's identity, in both the route and the eviction tables.
const routeColumns = (taskServerId: number, route: Omit<RouteKey, "name">) => ({
  task_server_id: taskServerId,
  schema: route.schema,
  host: route.host,
  port: route.port,
});

function deleteEviction(db: Db, taskServerId: number, route: Omit<RouteKey, "name">) {
  return db.kysely
    .deleteFrom("route_eviction")
    .where((eb) => eb.and(routeColumns(taskServerId, route)))
    .executeTakeFirst();
}

export type DeleteRouteResult = "deleted" | "no_task_server" | "no_route";

// Removes the route, or the record of its eviction.
export async function deleteRoute(db: Db, route: RouteKey): Promise<DeleteRouteResult> {
  const taskServerId = await findTaskServerId(db, route.name);
  if (taskServerId === undefined) return "no_task_server";
  const result = await db.kysely
    .deleteFrom("task_server_route")
    .where((eb) => eb.and(routeColumns(taskServerId, route)))
    .executeTakeFirst();
  const dismissed = await deleteEviction(db, taskServerId, route);
  return Number(result.numDeletedRows) + Number(dismissed.numDeletedRows) > 0 ? "deleted" : "no_route";
}

// Which of these task servers exist, read with a shared lock (see
// upsertTasksOfLiveServers).
export async function liveTaskServers(db: Db, ids: number[]): Promise<Set<number>> {
  const rows = await forShare(db, db.kysely.selectFrom("task_server").select("id").where("id", "in", ids)).execute();
  return new Set(rows.map((r) => r.id));
}

export type DeleteTaskServerResult = { deleted: true } | { deleted: false; tasks: number } | undefined;

// Removes a task server with its routes and eviction records, unless tasks
// use it (then says how many). Undefined when there is no such server. The
// delete itself re-checks for tasks, so a task added meanwhile keeps it.
export async function deleteTaskServer(db: Db, name: string): Promise<DeleteTaskServerResult> {
  return transaction(db, async (tx) => {
    const id = await findTaskServerId(tx, name);
    if (id === undefined) return undefined;
    const deleted = await tx.kysely
      .deleteFrom("task_server")
      .where("id", "=", id)
      .where((eb) => eb.not(eb.exists(eb.selectFrom("task").select("task.id").where("task.task_server_id", "=", id))))
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) {
      const { n } = await tx.kysely.selectFrom("task").select((eb) => eb.fn.countAll<number>().as("n")).where("task_server_id", "=", id).executeTakeFirstOrThrow();
      return { deleted: false, tasks: Number(n) };
    }
    await tx.kysely.deleteFrom("task_server_route").where("task_server_id", "=", id).execute();
    await tx.kysely.deleteFrom("route_eviction").where("task_server_id", "=", id).execute();
    return { deleted: true };
  });
}

const callbackRoutes = (db: Db) =>
  db.kysely
    .selectFrom("task_server_route as r")
    .innerJoin("task_server as s", "s.id", "r.task_server_id")
    .selectAll("r")
    .select("s.secret")
    .orderBy("r.id");

export async function listHealthCheckedRoutes(db: Db): Promise<CallbackRoute[]> {
  return callbackRoutes(db).where("r.is_enable_health_check", "=", 1).execute();
}

export interface TaskServerWithRoutes {
  id: number;
  name: string;
  // Whether it has a secret; the secret itself stays in the store.
  signed: boolean;
  routes: RouteRow[];
  evicted: EvictionRow[];
}

export async function listTaskServers(db: Db): Promise<TaskServerWithRoutes[]> {
  const servers = await db.kysely.selectFrom("task_server").select(["id", "name", "secret"]).orderBy("id").execute();
  const routes = await db.kysely.selectFrom("task_server_route").selectAll().orderBy("id").execute();
  const evicted = await db.kysely.selectFrom("route_eviction").selectAll().orderBy("evicted_at", "desc").execute();
  return servers.map((s) => ({
    id: s.id,
    name: s.name,
    signed: s.secret !== null,
    routes: routes.filter((r) => r.task_server_id === s.id),
    evicted: evicted.filter((r) => r.task_server_id === s.id),
  }));
}

// A passed heartbeat clears the failure count; a failed one adds to it, and
// the route is removed once it has failed `evictAfter` times in a row,
// leaving a record of its eviction. Returns true when the route was evicted.
export async function recordHeartbeat(db: Db, routeId: number, ok: boolean, now: number, evictAfter: number): Promise<boolean> {
  if (ok) {
    await db.kysely
      .updateTable("task_server_route")
      .set({ failed_health_checks: 0, last_heartbeat_at: now })
      .where("id", "=", routeId)
      .execute();
    return false;
  }
  return transaction(db, async (tx) => {
    const trx = tx.kysely;
    await trx
      .updateTable("task_server_route")
      .set((eb) => ({ failed_health_checks: eb("failed_health_checks", "+", 1) }))
      .where("id", "=", routeId)
      .execute();
    const route = await trx.selectFrom("task_server_route").selectAll().where("id", "=", routeId).where("failed_health_checks", ">=", evictAfter).executeTakeFirst();
    if (!route) return false;
    await trx.deleteFrom("task_server_route").where("id", "=", routeId).execute();
    const { id, is_enable_health_check: _checked, ...kept } = route;
    const insert = trx.insertInto("route_eviction").values({ ...kept, route_id: id, evicted_at: now });
    const again = { route_id: id, callback_timeout_sec: route.callback_timeout_sec, failed_health_checks: route.failed_health_checks, last_heartbeat_at: route.last_heartbeat_at, evicted_at: now };
    await orUpdate(tx, insert, ["task_server_id", "schema", "host", "port"], again).execute();
    return true;
  });
}

// The routes of several task servers at once, keyed by task server id.
export async function listRoutesOf(db: Db, taskServerIds: number[]): Promise<Map<number, CallbackRoute[]>> {
  const byServer = new Map<number, CallbackRoute[]>();
  if (taskServerIds.length === 0) return byServer;
  const rows = await callbackRoutes(db).where("r.task_server_id", "in", taskServerIds).execute();
  for (const r of rows) byServer.set(r.task_server_id, [...(byServer.get(r.task_server_id) ?? []), r]);
  return byServer;
}

export async function taskServerName(db: Db, taskServerId: number): Promise<string | undefined> {
  const row = await db.kysely.selectFrom("task_server").select("name").where("id", "=", taskServerId).executeTakeFirst();
  return row?.name;
}

