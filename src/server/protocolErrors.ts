import type { ConnectError } from "@connectrpc/connect";
import { encodeEnvelope, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { parseContentType as parseGrpcType, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { parseContentType as parseGrpcWebType, trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { once } from "./procedureSteps.js";

export type RpcProtocol = "connect" | "grpc" | "grpc_web";

// Which of the three protocols a request speaks, by its content type (a
// Connect GET has none).
export function rpcProtocolOf(contentType: string | null): RpcProtocol {
  if (parseGrpcWebType(contentType)) return "grpc_web";
  if (parseGrpcType(contentType)) return "grpc";
  return "connect";
}

// An error answered before connect-es sees the request, in the protocol's own
// shape: Connect's JSON error body with its HTTP status, gRPC's status in the
// headers of a body-less answer (trailers-only), gRPC-Web's trailer frame.
export function errorResponse(contentType: string | null, err: ConnectError): UniversalServerResponse {
  const protocol = rpcProtocolOf(contentType);
  if (protocol === "connect") {
    return { status: codeToHttpStatus(err.code), header: new Headers({ "content-type": "application/json" }), body: once(errorToJsonBytes(err, {})) };
  }
  const trailer = setTrailerStatus(new Headers(), err);
  if (protocol === "grpc") {
    trailer.set("content-type", contentType!);
    return { status: 200, header: trailer };
  }
  return { status: 200, header: new Headers({ "content-type": contentType! }), body: once(encodeEnvelope(trailerFlag, trailerSerialize(trailer))) };
}
