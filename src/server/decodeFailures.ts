import type { ConnectRouter } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { once, readBody, wrapHandlers } from "./wrapHandlers.js";

// connect-es reports a request body that does not decode as protobuf binary
// as `internal` (HTTP 500), because client and server share its
// serialization code. On a server it is the caller's mistake, and
// connect-go answers `invalid_argument`; so do we, in each protocol's own
// place for the code: the Connect JSON error body, the gRPC trailer, the
// gRPC-Web trailer frame.

const MARK = "parse binary:";
const INTERNAL = 13;
const INVALID_ARGUMENT = 3;

async function connectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status !== 500 || !res.body) return res;
  const bytes = await readBody(res.body);
  let error: { code?: string; message?: string } | undefined;
  try {
    error = JSON.parse(bytes.toString("utf8")) as typeof error;
  } catch {
    // not a Connect error body; pass it on untouched
  }
  if (error?.code !== "internal" || !error.message?.startsWith(MARK)) return { ...res, body: once(bytes) };
  const body = Buffer.from(JSON.stringify({ ...error, code: "invalid_argument" }));
  res.header?.set("content-length", String(body.length));
  return { ...res, status: 400, body: once(body) };
}

const isDecodeFailure = (status: string | null, message: string | null) =>
  status === String(INTERNAL) && message !== null && decodeURIComponent(message).startsWith(MARK);

// gRPC: the status travels in trailers, which are complete once the body is.
async function* grpcBody(body: AsyncIterable<Uint8Array>, trailer: Headers) {
  yield* body;
  if (isDecodeFailure(trailer.get("grpc-status"), trailer.get("grpc-message"))) trailer.set("grpc-status", String(INVALID_ARGUMENT));
}

// gRPC-Web: the trailers are the last frame of the body (flag 0x80).
async function* grpcWebBody(body: AsyncIterable<Uint8Array>) {
  for await (const chunk of body) {
    if (chunk[0] !== 0x80 || chunk.length < 5) {
      yield chunk;
      continue;
    }
    const text = Buffer.from(chunk.subarray(5)).toString("utf8");
    const status = /^grpc-status: *(\d+)\r?$/m.exec(text)?.[1] ?? null;
    const message = /^grpc-message: *(.*?)\r?$/m.exec(text)?.[1] ?? null;
    if (!isDecodeFailure(status, message)) {
      yield chunk;
      continue;
    }
    const fixed = Buffer.from(text.replace(/^grpc-status: *\d+/m, `grpc-status: ${INVALID_ARGUMENT}`));
    const head = Buffer.alloc(5);
    head[0] = 0x80;
    head.writeUInt32BE(fixed.length, 1);
    yield Buffer.concat([head, fixed]);
  }
}

export function reportDecodeFailuresAsInvalid(router: ConnectRouter): void {
  wrapHandlers(router, (handler) => async (req) => {
    const res = await handler(req);
    const type = res.header?.get("content-type") ?? "";
    if (type.startsWith("application/grpc-web")) return res.body ? { ...res, body: grpcWebBody(res.body) } : res;
    if (type.startsWith("application/grpc")) return res.body && res.trailer ? { ...res, body: grpcBody(res.body, res.trailer) } : res;
    return connectUnary(res);
  });
}
