import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalHandler, UniversalHandlerFn } from "@connectrpc/connect/protocol";

// Puts a step around every procedure the router serves, keeping what the
// adapter reads off each handler (its path, method and content types).
export function wrapHandlers(router: ConnectRouter, step: (handler: UniversalHandler) => UniversalHandlerFn): void {
  const handlers = router.handlers as UniversalHandler[];
  handlers.splice(
    0,
    handlers.length,
    ...handlers.map((h) =>
      Object.assign(step(h), {
        protocolNames: h.protocolNames,
        service: h.service,
        method: h.method,
        requestPath: h.requestPath,
        allowedMethods: h.allowedMethods,
        supportedContentType: h.supportedContentType,
      }),
    ),
  );
}

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

// A body read by a wrapper, handed on as the stream the next step expects.
export async function* once(bytes: Uint8Array) {
  yield bytes;
}
