import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import type { UniversalHandler, UniversalHandlerFn } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "../log/log.js";
import { refusal as refusalFor, UNAUTHENTICATED_MESSAGE, type Authorize } from "./auth.js";
import { callerValues } from "../service/caller.js";
import type { HttpRequest, HttpResponse } from "./http.js";
import type { ProcedureStep } from "./procedureSteps.js";
import { errorResponse } from "./protocolErrors.js";

export interface ProceduresOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  // Around each procedure, the first one outermost.
  steps: ProcedureStep[];
  authorize: Authorize;
  // A caller refused for want of a token, or for its token's role (for the
  // API metrics).
  onRefused(procedure: UniversalHandler, contentType: string | null, refusal: ConnectError): void;
  log: Logger;
}

async function* unreadRestKept(req: HttpRequest): AsyncIterable<Uint8Array> {
  yield* req.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array>;
}

export type ServeProcedure = (req: HttpRequest, res: HttpResponse) => boolean;

// Serves the Connect router's procedures (Connect, gRPC, gRPC-Web) on
// node:http and node:http2 requests, as connect-node's adapter does, with
// two things it cannot do: the token (and what its role may call) is
// checked before connect-es reads a byte of the body, and our steps wrap
// each procedure. The caller travels to the handlers in the context values. Built on
// connect-es' public API only (the router's handlers, connect-node's
// request and response converters).
export function procedures(opts: ProceduresOptions): ServeProcedure {
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...opts });
  opts.routes(router);
  const byPath = new Map<string, { procedure: UniversalHandler; serve: UniversalHandlerFn }>();
  for (const procedure of router.handlers) {
    const serve = opts.steps.reduceRight<UniversalHandlerFn>((next, step) => step(next, procedure), procedure);
    byPath.set(procedure.requestPath, { procedure, serve });
  }
  const refusal = new ConnectError(UNAUTHENTICATED_MESSAGE, Code.Unauthenticated);
  const limit = opts.readMaxBytes ?? Infinity;
  // A body declared larger than any message may be (plus the 5 bytes of a
  // gRPC message's frame) is refused without waiting for it.
  const tooLarge = new ConnectError(`request body is larger than ${limit} bytes`, Code.ResourceExhausted);

  return (req, res) => {
    const found = byPath.get((req.url ?? "").split("?", 1)[0]!);
    if (!found) return false;
    const { procedure, serve } = found;
    const contentType = req.headers["content-type"] ?? null;
    const answer = async () => {
      const principal = opts.authorize(req.headers.authorization);
      const refused = principal ? refusalFor(principal, procedure.method) : refusal;
      if (refused) {
        opts.onRefused(procedure, contentType, refused);
        return errorResponse(contentType, refused);
      }
      if (Number(req.headers["content-length"]) > limit + 5) return errorResponse(contentType, tooLarge);
      const request = universalRequestFromNodeRequest(req, res, undefined, callerValues(principal));
      // A step or connect-es that stops reading (a body over the limit)
      // leaves the rest unread rather than destroying the request, so that
      // settleUnreadBodies can discard it and keep the connection.
      return serve({ ...request, body: unreadRestKept(req) });
    };
    answer()
      .then((answered) => universalResponseToNodeResponse(answered, res))
      .catch((err: unknown) => {
        // The caller went away (reset the stream, closed the connection):
        // nothing to answer, and nothing wrong with the server.
        const code = ConnectError.from(err).code;
        if (code !== Code.Aborted && code !== Code.Canceled) opts.log.error("request failed", { err, procedure: procedure.requestPath });
        if (res.headersSent || res.destroyed) {
          if (!res.writableEnded) res.destroy();
          return;
        }
        res.writeHead(500);
        res.end();
      });
    return true;
  };
}
