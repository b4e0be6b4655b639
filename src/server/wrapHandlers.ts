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
