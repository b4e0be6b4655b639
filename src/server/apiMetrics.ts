import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { DescMethod } from "@bufbuild/protobuf";
import type { Clock } from "../clock.js";
import type { Logger } from "../log/log.js";
import type { Metrics } from "../metrics/metrics.js";
import { rpcProtocolOf, type RpcProtocol } from "./protocolErrors.js";

export type ApiProtocol = RpcProtocol | "documented";

// The label of an outcome: "ok", or the Connect code (invalid_argument …),
// the same words over every protocol.
export const codeOf = (err: unknown): string => (err instanceof ConnectError ? codeToString(err.code) : "unknown");

export const rpcName = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;

// Counts API requests and logs each at debug level, with its duration.
export class ApiRequests {
  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  // When a request started, for record().
  started(): number {
    return this.clock.monotonic();
  }

  record(method: string, protocol: ApiProtocol, code: string, startedAt: number): void {
    this.metrics.apiRequest(method, protocol, code);
    this.log.debug("api request", { method, protocol, code, duration_ms: this.clock.monotonic() - startedAt });
  }
}

// Counts the Connect, gRPC and gRPC-Web requests that reach a method; it
// sits outside the error interceptor, so it sees the final Connect code.
export function apiMetricsInterceptor(requests: ApiRequests): Interceptor {
  return (next) => async (req) => {
    const startedAt = requests.started();
    const protocol = rpcProtocolOf(req.header.get("content-type"));
    try {
      const res = await next(req);
      requests.record(rpcName(req.method), protocol, "ok", startedAt);
      return res;
    } catch (err) {
      requests.record(rpcName(req.method), protocol, codeOf(err), startedAt);
      throw err;
    }
  };
}
