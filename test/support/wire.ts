import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { connect, constants, type ClientHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { trailerFlag, trailerParse } from "@connectrpc/connect/protocol-grpc-web";

// Raw exchanges with the server over one kept-alive HTTP/1.1 connection or
// one HTTP/2 session, for tests of what happens on the wire: which
// connection carried a request, whether a body was still held back when
// the answer came, the answer's headers and trailers as sent.

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
  // Which connection carried it (HTTP/1.1: the socket; HTTP/2: the session).
  connection: unknown;
}

export interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  // Send the headers and wait for the answer before sending the body.
  holdBodyUntilAnswered?: boolean;
}

export interface WireClient {
  send(sent: Sent): Promise<Exchange>;
  close(): void;
}

const bytes = (body: Buffer | string | undefined) => (typeof body === "string" ? Buffer.from(body) : (body ?? Buffer.alloc(0)));

// HTTP/1.1 through Node's keep-alive agent with one socket, as pooling
// clients do: a request goes on the previous one's connection if the
// server kept it.
export function http1Client(port: number): WireClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    send: (sent) =>
      new Promise((resolve, reject) => {
        const body = bytes(sent.body);
        const req = request({
          host: "127.0.0.1",
          port,
          agent,
          method: sent.method ?? "POST",
          path: sent.path,
          headers: { "content-length": String(body.length), ...sent.headers },
        });
        let socket: Socket | undefined;
        req.once("socket", (s) => (socket = s));
        // After an answer with Connection: close, writing the held-back body
        // fails; the answer is what counts.
        req.on("error", reject);
        req.once("response", (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.once("error", reject);
          res.once("end", () => {
            if (sent.holdBodyUntilAnswered) req.end(body);
            resolve({ status: res.statusCode!, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks), connection: socket });
          });
        });
        if (sent.holdBodyUntilAnswered) req.flushHeaders();
        else req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

// Cleartext HTTP/2 with prior knowledge, every request on one session.
export function http2Client(port: number): WireClient & { session: ClientHttp2Session } {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  return {
    session,
    send: (sent) =>
      new Promise((resolve, reject) => {
        const body = bytes(sent.body);
        const stream = session.request({ ":method": sent.method ?? "POST", ":path": sent.path, ...sent.headers }, { endStream: false });
        let headers: IncomingHttpHeaders = {};
        let trailers: Exchange["trailers"] = {};
        const chunks: Buffer[] = [];
        stream.once("response", (h) => {
          headers = h;
          if (sent.holdBodyUntilAnswered && !stream.destroyed) stream.end(body);
        });
        stream.once("trailers", (t) => (trailers = t));
        stream.on("data", (c: Buffer) => chunks.push(c));
        // The server may reset the stream with NO_ERROR once it has
        // answered, to stop a body it does not need.
        stream.once("error", (err) => (stream.rstCode === constants.NGHTTP2_NO_ERROR ? undefined : reject(err)));
        stream.once("close", () => {
          if (headers[":status"] === undefined) return reject(new Error(`stream closed without an answer (code ${stream.rstCode})`));
          resolve({ status: Number(headers[":status"]), headers, trailers, body: Buffer.concat(chunks), connection: session });
        });
        if (!sent.holdBodyUntilAnswered) stream.end(body);
      }),
    close: () => session.close(),
  };
}

// A gRPC message frame.
export function envelope(message: Uint8Array | string, declaredLength?: number): Buffer {
  const data = bytes(typeof message === "string" ? message : Buffer.from(message));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength ?? data.length, 1);
  return Buffer.concat([head, data]);
}

// The gRPC status of an answer: in the headers of a trailers-only answer,
// else in the trailers (gRPC) or the trailer frame (gRPC-Web).
export function grpcStatus(ex: Exchange): string | undefined {
  const inHeaders = ex.headers["grpc-status"] ?? ex.trailers["grpc-status"];
  if (inHeaders !== undefined) return String(inHeaders);
  for (let at = 0; at + 5 <= ex.body.length; at += 5 + ex.body.readUInt32BE(at + 1)) {
    if (ex.body[at] === trailerFlag) return trailerParse(ex.body.subarray(at + 5, at + 5 + ex.body.readUInt32BE(at + 1))).get("grpc-status") ?? undefined;
  }
  return undefined;
}
