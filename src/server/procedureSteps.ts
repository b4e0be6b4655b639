import { createContextKey, type Interceptor } from "@connectrpc/connect";
import type { UniversalHandler, UniversalHandlerFn } from "@connectrpc/connect/protocol";

// A step around one procedure, between the adapter and connect-es' own
// handler: it may look at the request before connect-es decodes it, and at
// the response it encodes. Steps wrap the handler (they never change the
// router's handlers), so they rest on connect-es' public types alone.
export type ProcedureStep = (next: UniversalHandlerFn, procedure: UniversalHandler) => UniversalHandlerFn;

// Set by the outermost interceptor: whether the request got as far as the
// method, i.e. connect-es decoded it. What fails before is the request's fault.
export const methodReached = createContextKey(false, { description: "the request was decoded and reached its method" });

export const markMethodReached: Interceptor = (next) => (req) => {
  req.contextValues.set(methodReached, true);
  return next(req);
};

// Reads a body, stopping once it is past `max` bytes: what is read so far is
// passed on, for Connect to refuse by its own limit.
export async function readBody(body: AsyncIterable<Uint8Array>, max = Infinity): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > max) break;
  }
  return Buffer.concat(chunks);
}

// A body read by a step, handed on as the stream the next step expects.
export async function* once(bytes: Uint8Array) {
  yield bytes;
}
