import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { methodReached, once, readBody, type ProcedureStep } from "./procedureSteps.js";
import { rpcProtocolOf } from "./protocolErrors.js";

// connect-es reports a request body that does not decode as protobuf binary
// as `internal` (HTTP 500), because client and server share its
// serialization code. On a server it is the caller's mistake, and
// connect-go answers `invalid_argument`; so do we, in each protocol's own
// place for the code: the Connect JSON error body, the gRPC trailer, the
// gRPC-Web trailer frame. An `internal` error is the request's fault when
// the request never reached its method (see markMethodReached): no text of
// connect-es' messages is relied on.

const asInvalid = (err: ConnectError) => new ConnectError(err.rawMessage, Code.InvalidArgument, err.metadata);

async function connectUnary(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  if (res.status !== codeToHttpStatus(Code.Internal) || !res.body) return res;
  const bytes = await readBody(res.body);
  const err = errorFromJsonBytes(bytes, undefined, new ConnectError("", Code.Unknown));
  if (err.code !== Code.Internal) return { ...res, body: once(bytes) };
  const body = errorToJsonBytes(asInvalid(err), {});
  res.header?.set("content-length", String(body.length));
  return { ...res, status: codeToHttpStatus(Code.InvalidArgument), body: once(body) };
}

// gRPC: the status travels in trailers, which are complete once the body is.
async function* grpcBody(body: AsyncIterable<Uint8Array>, trailer: Headers, reached: () => boolean) {
  yield* body;
  const err = findTrailerError(trailer);
  if (err?.code === Code.Internal && !reached()) setTrailerStatus(trailer, asInvalid(err));
}

// gRPC-Web: the trailers are the last frame of the body.
async function* grpcWebBody(body: AsyncIterable<Uint8Array>, reached: () => boolean) {
  for await (const chunk of body) {
    const err = chunk[0] === trailerFlag && chunk.length >= 5 && !reached() ? findTrailerError(trailerParse(chunk.subarray(5))) : undefined;
    if (err?.code !== Code.Internal) {
      yield chunk;
      continue;
    }
    const trailer = trailerParse(chunk.subarray(5));
    yield encodeEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(trailer, asInvalid(err))));
  }
}

export const reportDecodeFailuresAsInvalid: ProcedureStep = (next) => async (req) => {
  const res = await next(req);
  const reached = () => req.contextValues?.get(methodReached) ?? false;
  if (reached()) return res;
  switch (rpcProtocolOf(res.header?.get("content-type") ?? null)) {
    case "grpc_web":
      return res.body ? { ...res, body: grpcWebBody(res.body, reached) } : res;
    case "grpc":
      return res.body && res.trailer ? { ...res, body: grpcBody(res.body, res.trailer, reached) } : res;
    default:
      return connectUnary(res);
  }
};
