import type { Leadership } from "../cluster/leadership.js";
import type { Logger } from "../log/log.js";
import { withLogFields } from "../log/context.js";
import type { Metrics } from "../metrics/metrics.js";
import { ClusterServiceImpl, type NodeInfo } from "../service/clusterService.js";
import { RegistryServiceImpl } from "../service/registryService.js";
import { TaskServiceImpl } from "../service/taskService.js";
import { goCronRequest } from "../service/goCronRequest.js";
import type { Clock } from "../clock.js";
import type { TaskEvents } from "../service/ports.js";
import type { Db } from "../store/database.js";
import { apiMetricsInterceptor, ApiRequests, codeOf, rpcName } from "./apiMetrics.js";
import type { CallbackTargets } from "../callback/targets.js";
import { bearerTokens } from "./auth.js";
import { audited } from "./auditWrites.js";
import { AuditLog } from "../audit/auditLog.js";
import { apiTokens, type AlertSettings, type ApiToken } from "../config/config.js";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";
import { loadConsoleAssets, serveConsole } from "./consoleAssets.js";
import { reportDecodeFailuresAsInvalid } from "./decodeFailures.js";
import { refuseUnknownEnumNames } from "./strictEnums.js";
import { errorInterceptor } from "./errors.js";
import type { HttpResponse, RequestHandler } from "./http.js";
import { legacyRoutes, serveLegacy } from "./legacyAdapter.js";
import { serveMetrics } from "./metricsRoute.js";
import routes, { implementedServices } from "./routes.js";
import { procedures } from "./procedures.js";
import { markMethodReached } from "./procedureSteps.js";
import { rpcProtocolOf } from "./protocolErrors.js";
import { serveReflection } from "./reflection.js";
import { adoptTrace } from "./trace.js";
import { settleUnreadBodies } from "./unreadBodies.js";

export interface ServerDeps {
  db: Db;
  clock: Clock;
  events: TaskEvents;
  log: Logger;
  maxBodyBytes: number;
  leadership: Leadership;
  node: NodeInfo;
  metrics: Metrics;
  auth: { tokens: (string | ApiToken)[]; protectHealth: boolean; protectMetrics: boolean };
  alerts: AlertSettings;
  callbackTargets: CallbackTargets;
  // The built web console; dist/console by default.
  consoleDir?: string;
  // Set for cron_dialect "easytask-go": /add_task reads time_cron as the
  // original did, in this time zone unless the request names one.
  goCron?: { timeZone: string };
}

function refuseUnauthenticated(res: HttpResponse): void {
  res.writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" });
  res.end("unauthenticated\n");
}

// /readyz for load balancers and orchestrators: 200 when this node can
// serve the API, 503 with the reason otherwise; with its leadership beside
// it, which does not change the status. /healthz only says the process is
// alive.
function serveReadiness(cluster: ClusterServiceImpl, res: HttpResponse, log: Logger): void {
  cluster.readiness().then(
    (r) => {
      const body = JSON.stringify({
        ready: r.ready,
        reason: r.reason,
        node_id: r.nodeId,
        leading: r.leading,
        leadership_known: r.leadershipKnown,
        leadership_reason: r.leadershipReason,
      });
      res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(body);
    },
    (err) => {
      log.error("readiness check failed", { err });
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ready: false, reason: "readiness check failed" }));
    },
  );
}

// Wires the API (Connect, gRPC, gRPC-Web and the documented JSON paths) into
// one request handler. It does not listen, so tests and main share it.
export function build(deps: ServerDeps): RequestHandler {
  const tokens = apiTokens(deps.auth.tokens);
  const authorize = bearerTokens(tokens);
  const cluster = new ClusterServiceImpl(deps.db, deps.leadership, deps.node, deps.clock, { authRequired: tokens.length > 0, alerts: deps.alerts });
  // Every change through any surface goes into the audit log.
  const audit = new AuditLog(deps.db, deps.clock, deps.log);
  const services = {
    tasks: audited(TaskService, new TaskServiceImpl(deps.db, deps.clock, deps.events), audit),
    registry: audited(RegistryService, new RegistryServiceImpl(deps.db, deps.clock, deps.callbackTargets), audit),
    cluster: audited(ClusterService, cluster, audit),
  };
  const legacy = legacyRoutes(implementedServices(services), deps.goCron ? { "/add_task": goCronRequest(deps.goCron.timeZone, deps.clock) } : {});
  const requests = new ApiRequests(deps.metrics, deps.log, deps.clock);
  const legacyOptions = { maxBodyBytes: deps.maxBodyBytes, authorize, log: deps.log, requests };
  const consoleAssets = loadConsoleAssets(deps.consoleDir);
  const fallback: RequestHandler = (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const route = legacy.get(path);
    if (route) return serveLegacy(route, req, res, String(req.headers["x-easy-task-trace-id"]), legacyOptions);
    if (deps.auth.protectHealth && (path === "/healthz" || path === "/readyz") && !authorize(req.headers.authorization)) {
      return refuseUnauthenticated(res);
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok\n");
      return;
    }
    if (path === "/readyz") return serveReadiness(cluster, res, deps.log);
    if (path === "/metrics") {
      if (deps.auth.protectMetrics && !authorize(req.headers.authorization)) return refuseUnauthenticated(res);
      return serveMetrics(deps.metrics, res, deps.log);
    }
    if (serveConsole(consoleAssets, path, req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  };
  const rpc = procedures({
    routes: (router) => {
      routes(services)(router);
      serveReflection(router, implementedServices(services).map((s) => s.service));
    },
    steps: [reportDecodeFailuresAsInvalid, refuseUnknownEnumNames({ maxBodyBytes: deps.maxBodyBytes, log: deps.log })],
    authorize,
    onRefused: (procedure, contentType, refusal) => requests.record(rpcName(procedure.method), rpcProtocolOf(contentType), codeOf(refusal), requests.started()),
    log: deps.log,
    interceptors: [markMethodReached, apiMetricsInterceptor(requests), errorInterceptor(deps.log)],
    // Proto field names (task_id) in JSON answers, as the documented API
    // spells them; clients newer than this server may send fields it lacks.
    jsonOptions: { useProtoFieldName: true, ignoreUnknownFields: true },
    readMaxBytes: deps.maxBodyBytes,
  });
  return (req, res) => {
    settleUnreadBodies(req, res, deps.maxBodyBytes);
    const { traceId, echo } = adoptTrace(req.headers);
    for (const [name, value] of echo) res.setHeader(name, value);
    // Every line logged while handling the request carries its trace id.
    withLogFields({ trace_id: traceId }, () => {
      if (!rpc(req, res)) fallback(req, res);
    });
  };
}
