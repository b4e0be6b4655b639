import { create, fromJson, getOption, toJson, type DescMethodUnary, type DescService, type JsonValue } from "@bufbuild/protobuf";
import { createHandlerContext, type HandlerContext } from "@connectrpc/connect";
import type { HttpRequest as Request, HttpResponse as Response } from "./http.js";
import { legacy_path } from "../../gen/easytask/v1/options_pb.js";
import type { Logger } from "../log/log.js";
import { codeOf, rpcName, type ApiRequests } from "./apiMetrics.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { refusal, UNAUTHENTICATED_MESSAGE, type Authorize } from "./auth.js";
import { callerValues, type Principal } from "../service/caller.js";
import { envelopeCode, failure, INVALID_ARGUMENTS, success, type Envelope } from "./envelope.js";
import { toConnectError } from "./errors.js";
import { unknownEnumName } from "./strictEnums.js";
import { BodyTooLarge, readBody } from "./readBody.js";

type Handler = (req: unknown, ctx: HandlerContext) => unknown;

interface LegacyRoute {
  service: DescService;
  method: DescMethodUnary;
  handler: Handler;
  // Reads a request the way the original's clients mean it, where that
  // differs from the RPC (cron_dialect "easytask-go" on /add_task).
  read?: RequestReader;
}

// Throws a DomainError to refuse the request.
export type RequestReader = (req: never) => unknown;

export interface ImplementedService {
  service: DescService;
  impl: object;
}

// Mounts every method that carries the (legacy_path) option at that path,
// calling the same implementation the Connect routes call: the adapter only
// translates JSON in and the envelope out.
export function legacyRoutes(services: ImplementedService[], readers: Record<string, RequestReader> = {}): Map<string, LegacyRoute> {
  const routes = new Map<string, LegacyRoute>();
  for (const { service, impl } of services) {
    for (const method of service.methods) {
      const path = getOption(method, legacy_path);
      if (path === "" || method.methodKind !== "unary") continue;
      const fn = (impl as Record<string, Handler>)[method.localName];
      routes.set(path, { service, method: method as DescMethodUnary, handler: fn.bind(impl), read: readers[path] });
    }
  }
  return routes;
}

// The envelope, and the outcome in the words of the API metrics.
interface Answered {
  envelope: Envelope;
  code: string;
}

const invalid = (msg: string, traceId: string): Answered => ({ envelope: failure(INVALID_ARGUMENTS, msg, traceId), code: "invalid_argument" });

async function answer(route: LegacyRoute, req: Request, traceId: string, principal: Principal, maxBodyBytes: number, log: Logger): Promise<Answered> {
  let input: JsonValue;
  try {
    input = JSON.parse((await readBody(req, maxBodyBytes)).toString("utf8")) as JsonValue;
  } catch (err) {
    if (err instanceof BodyTooLarge) return invalid(err.message, traceId);
    return invalid("request arguments are invalid", traceId);
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return invalid("request arguments are invalid: expected a JSON object", traceId);
  }
  const unknownEnum = unknownEnumName(route.method.input, input);
  if (unknownEnum) return invalid(unknownEnum.message, traceId);
  let message;
  try {
    message = fromJson(route.method.input, input, { ignoreUnknownFields: true });
  } catch (err) {
    return invalid(`request arguments are invalid: ${(err as Error).message}`, traceId);
  }
  const ctx = createHandlerContext({
    service: route.service,
    method: route.method,
    protocolName: "easytask-documented-path",
    requestMethod: req.method ?? "POST",
    url: req.url ?? "",
    // HTTP/2 pseudo-headers (:method, :path …) are no header names.
    requestHeader: Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" && !k.startsWith(":") ? [[k, v] as [string, string]] : [])),
    contextValues: callerValues(principal),
  });
  try {
    const input = route.read ? route.read(message as never) : message;
    const output = create(route.method.output, (await route.handler(input, ctx)) as Record<string, unknown>);
    return { envelope: success(toJson(route.method.output, output, { useProtoFieldName: true }), traceId), code: "ok" };
  } catch (err) {
    const connectError = toConnectError(err, log);
    return { envelope: failure(envelopeCode(connectError), connectError.rawMessage, traceId), code: codeOf(connectError) };
  }
}

export interface LegacyOptions {
  maxBodyBytes: number;
  authorize: Authorize;
  log: Logger;
  requests: ApiRequests;
}

export function serveLegacy(route: LegacyRoute, req: Request, res: Response, traceId: string, opts: LegacyOptions): void {
  const { maxBodyBytes, log, requests } = opts;
  const startedAt = requests.started();
  const method = rpcName(route.method);
  if (req.method !== "POST") {
    requests.record(method, "documented", "invalid_argument", startedAt);
    res.writeHead(405, { allow: "POST", "content-type": "application/json" });
    res.end(JSON.stringify(failure(INVALID_ARGUMENTS, `${req.url} accepts POST only`, traceId)));
    return;
  }
  // Refused before the body is read: an unauthenticated caller gets no work done.
  const principal = opts.authorize(req.headers.authorization);
  const refused = principal && refusal(principal, route.method);
  if (!principal || refused) {
    const error = refused ?? new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated);
    requests.record(method, "documented", codeOf(error), startedAt);
    const status = principal ? 403 : 401;
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...(!principal && { "www-authenticate": "Bearer" }) });
    res.end(JSON.stringify(failure(envelopeCode(error), error.rawMessage, traceId)));
    return;
  }
  answer(route, req, traceId, principal, maxBodyBytes, log).then(
    ({ envelope, code }) => {
      requests.record(method, "documented", code, startedAt);
      const body = JSON.stringify(envelope);
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    },
    (err) => {
      requests.record(method, "documented", "internal", startedAt);
      log.error("documented path failed", { err, path: req.url });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    },
  );
}
