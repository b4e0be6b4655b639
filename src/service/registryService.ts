import { isIP } from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type AddTaskServerRequest,
  AddTaskServerRequestSchema,
  type DelTaskServerRequest,
  type DeleteTaskServerRequest,
  DeleteTaskServerRequestSchema,
  RegistryService,
  RouteSchema,
  TaskServerSchema,
} from "../../gen/easytask/v1/registry_pb.js";
import type { CallbackTargets } from "../callback/targets.js";
import { routeUrl } from "../callback/routeUrl.js";
import type { Db } from "../store/database.js";
import { ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { deleteRoute, deleteTaskServer, listTaskServers, upsertRoute, type EvictionRow, type RouteKey, type RouteRow } from "../store/taskServers.js";
import { DomainError, invalidArgument, taskServerNotFound } from "./errors.js";
import { limitOf } from "./limits.js";
import type { Clock } from "../clock.js";
import { optionalTimestamp } from "./timestamps.js";
import { maxLength, printable, required } from "./validate.js";

export const DEFAULT_CALLBACK_TIMEOUT_SEC = 30;
const MAX_CALLBACK_TIMEOUT_SEC = limitOf(AddTaskServerRequestSchema, "callback_timeout_sec", "maxValue");
// Every route is health-checked and may be called on each BROADCAST run; a
// bound keeps one registration loop from growing the scheduler's work.
export const MAX_ROUTES_PER_TASK_SERVER = 256;
// A DNS name or an IPv4 literal (IPv6 literals: see routeHost).
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

// IPv6 literals are taken with or without brackets and kept in one form,
// bracketed and canonical as in the route's URL (schema://host:port), so
// `fd00::5` and `[FD00:0::5]` name one route.
function routeHost(host: string, given: string): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare) === 6) return new URL(`http://[${bare}]`).hostname;
  if (!HOST.test(host)) throw invalidArgument("host", `host "${given}" is not a host name or IP address`);
  return host;
}

// Visible ASCII only: every SDK reads it as the same bytes, and a space
// picked up by copy and paste cannot make a secret that never verifies.
const SECRET = /^[\x21-\x7e]{16,256}$/;

// Absent keeps the task server's secret, "" removes it. The message never
// quotes the value: it must not end up in a client's or proxy's logs.
function secretOf(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === "") return null;
  if (!SECRET.test(value)) throw invalidArgument("secret", 'secret must be 16 to 256 visible ASCII characters (no spaces), or "" to remove it');
  return value;
}

function routeKey(req: { name: string; schema: string; host: string; port: number }): RouteKey {
  const name = printable("name", maxLength("name", required("name", req.name), limitOf(AddTaskServerRequestSchema, "name", "maxChars")));
  const schema = required("schema", req.schema).toLowerCase();
  if (schema !== "http" && schema !== "https") throw invalidArgument("schema", `schema must be "http" or "https", got "${req.schema}"`);
  const host = routeHost(maxLength("host", required("host", req.host).trim(), limitOf(AddTaskServerRequestSchema, "host", "maxChars")), req.host);
  if (req.port === 0) throw invalidArgument("port", "port is required");
  if (req.port > 65535) throw invalidArgument("port", `port must be 1..65535, got ${req.port}`);
  return { name, schema, host, port: req.port };
}

export class RegistryServiceImpl implements ServiceImpl<typeof RegistryService> {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly targets: CallbackTargets,
  ) {}

  async addTaskServer(req: AddTaskServerRequest) {
    const key = routeKey(req);
    if (!this.targets.allows(key.host)) {
      throw invalidArgument("host", `host "${key.host}" is not allowed by this scheduler's callback.allowed_hosts`);
    }
    const secret = secretOf(req.secret);
    if (req.callbackTimeoutSec > MAX_CALLBACK_TIMEOUT_SEC) {
      throw invalidArgument("callback_timeout_sec", `callback_timeout_sec must be at most ${MAX_CALLBACK_TIMEOUT_SEC}`);
    }
    const result = await upsertRoute(
      this.db,
      { ...key, callbackTimeoutSec: req.callbackTimeoutSec || DEFAULT_CALLBACK_TIMEOUT_SEC, isEnableHealthCheck: req.isEnableHealthCheck, secret },
      this.clock.now(),
      MAX_ROUTES_PER_TASK_SERVER,
    );
    if (result === "too_many_routes") {
      throw invalidArgument("host", `task server ${key.name} already has ${MAX_ROUTES_PER_TASK_SERVER} routes; remove one before adding another`);
    }
    return {};
  }

  async delTaskServer(req: DelTaskServerRequest) {
    const key = routeKey(req);
    const result = await deleteRoute(this.db, key);
    if (result === "no_task_server") throw taskServerNotFound(`task server ${key.name} not found`);
    if (result === "no_route") throw taskServerNotFound(`task server ${key.name} has no route ${routeUrl(key)}`);
    return {};
  }

  async deleteTaskServer(req: DeleteTaskServerRequest) {
    const name = maxLength("name", required("name", req.name), limitOf(DeleteTaskServerRequestSchema, "name", "maxChars"));
    const result = await deleteTaskServer(this.db, name);
    if (!result) throw taskServerNotFound(`task server ${name} not found`, "name");
    if (!result.deleted) {
      throw new DomainError(ErrorReason.TASK_SERVER_IN_USE, `task server ${name} is used by ${result.tasks === 1 ? "1 task: delete it" : `${result.tasks} tasks: delete them`} first`, "name");
    }
    return {};
  }

  async listTaskServers() {
    const servers = await listTaskServers(this.db);
    return {
      taskServers: servers.map((s) =>
        create(TaskServerSchema, {
          taskServerId: BigInt(s.id),
          name: s.name,
          signed: s.signed,
          routes: s.routes.map(toRoute),
          evictedRoutes: s.evicted.map(toEvictedRoute),
        }),
      ),
    };
  }
}

function toRoute(r: RouteRow) {
  return create(RouteSchema, {
    routeId: BigInt(r.id),
    schema: r.schema,
    host: r.host,
    port: r.port,
    callbackTimeoutSec: r.callback_timeout_sec,
    isEnableHealthCheck: r.is_enable_health_check === 1,
    failedHealthChecks: r.failed_health_checks,
    lastHeartbeatAt: optionalTimestamp(r.last_heartbeat_at),
    createdAt: timestampFromMs(r.created_at),
  });
}

// Only health-checked routes are evicted.
const toEvictedRoute = (r: EvictionRow) =>
  create(RouteSchema, { ...toRoute({ ...r, id: r.route_id, is_enable_health_check: 1 }), evictedAt: timestampFromMs(r.evicted_at) });
