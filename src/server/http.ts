import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

// connect-node's handler signature (HTTP/1.1 or HTTP/2 request/response),
// which it does not export by name.
export type RequestHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
export type HttpRequest = Parameters<RequestHandler>[0];
export type HttpResponse = Parameters<RequestHandler>[1];
