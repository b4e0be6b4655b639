import type { Logger } from "../log/log.js";
import type { Metrics } from "../metrics/metrics.js";
import type { CallbackClient } from "../callback/client.js";
import { heartbeatBody, isPong, type CmdNumbering } from "../callback/protocol.js";
import type { Clock } from "../clock.js";
import { signatureHeaders } from "../callback/signing.js";
import { newTraceId, traceHeaders } from "../callback/traceId.js";
import type { Db } from "../store/database.js";
import { listHealthCheckedRoutes, recordHeartbeat, type CallbackRoute } from "../store/taskServers.js";
import { routeUrl } from "../callback/routeUrl.js";
import type { ShardSet } from "./shardSet.js";

// Failures in a row that evict a route (the original evicted on the first).
export const EVICT_AFTER_FAILURES = 3;

export interface HealthCheckDeps {
  db: Db;
  clock: Clock;
  client: CallbackClient;
  numbering: CmdNumbering;
  intervalMs: number;
  poolSize: number;
  log: Logger;
  metrics: Metrics;
  // Routes are checked by the leader of their task server's shard.
  shards: Pick<ShardSet, "ownsTaskServer">;
  // Told of every route evicted (alerts).
  onEvicted?: (eviction: { taskServerId: number; route: string; failures: number }) => void;
}

async function heartbeat(deps: HealthCheckDeps, route: CallbackRoute): Promise<void> {
  const url = routeUrl(route) + "/";
  let ok = false;
  try {
    // A heartbeat may take as long as the interval, and at least a second.
    const body = heartbeatBody(deps.numbering);
    const answer = await deps.client.postJson(url, body, {
      timeoutMs: Math.max(1000, deps.intervalMs),
      headers: { ...traceHeaders(newTraceId()), ...signatureHeaders(route.secret, body, deps.clock.now()) },
    });
    ok = answer.status >= 200 && answer.status < 300 && isPong(answer.body);
  } catch {
    ok = false;
  }
  const evicted = await recordHeartbeat(deps.db, route.id, ok, deps.clock.now(), EVICT_AFTER_FAILURES);
  if (evicted) {
    deps.metrics.routeEvicted(route.task_server_id);
    deps.log.warn("route evicted after failed heartbeats", { route: url, task_server_id: route.task_server_id, failures: EVICT_AFTER_FAILURES });
    deps.onEvicted?.({ taskServerId: route.task_server_id, route: routeUrl(route), failures: EVICT_AFTER_FAILURES });
  }
}

// One round: every route with health checks on of the shards led, poolSize
// at a time.
export async function checkRoutesOnce(deps: HealthCheckDeps): Promise<void> {
  const queue = (await listHealthCheckedRoutes(deps.db)).filter((r) => deps.shards.ownsTaskServer(r.task_server_id));
  const worker = async () => {
    for (let route = queue.shift(); route; route = queue.shift()) await heartbeat(deps, route);
  };
  await Promise.all(Array.from({ length: Math.min(deps.poolSize, queue.length) }, worker));
}

export async function runHealthChecks(deps: HealthCheckDeps, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const started = deps.clock.now();
    try {
      await checkRoutesOnce(deps);
    } catch (err) {
      deps.log.error("health check round failed; retrying", { err });
    }
    await deps.clock.sleep(Math.max(0, deps.intervalMs - (deps.clock.now() - started)), signal);
  }
}
