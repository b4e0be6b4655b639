import { constants } from "node:http2";
import type { HttpRequest, HttpResponse } from "./http.js";

// A request answered before its body was read in full (refused as too
// large, without a token, with a wrong content type, at an unknown path)
// must not break the next request on its connection.
// - HTTP/2: once the answer is sent, the request's stream is reset with
//   NO_ERROR (RFC 9113 §8.1: "the response is complete, stop sending"); the
//   connection's other streams carry on.
// - HTTP/1.1: the rest of the body is read and thrown away, so the next
//   request on the connection is parsed from where it starts. That is
//   bounded: a body declared larger than the bound is answered with
//   `Connection: close` instead, and a connection whose body goes past the
//   bound or stops arriving for DRAIN_MS is closed.

// How much of a refused body is read to keep its connection, as a multiple
// of max_body_bytes: cheap (the bytes are not kept), and enough for the
// oversized requests clients send by mistake.
const DRAIN_FACTOR = 4;
const DRAIN_MS = 10_000;

export function settleUnreadBodies(req: HttpRequest, res: HttpResponse, maxBodyBytes: number): void {
  if ("stream" in req) {
    // The answer is complete when its trailers are due: node:http2's
    // compatibility layer sends every answer with trailers (empty or not)
    // right then, so the reset goes after them.
    const { stream } = req;
    stream.once("wantTrailers", () =>
      setImmediate(() => {
        if (!req.readableEnded && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
      }),
    );
    return;
  }
  const bound = maxBodyBytes * DRAIN_FACTOR;
  if (Number(req.headers["content-length"]) > bound) res.setHeader("connection", "close");
  res.once("finish", () => {
    if (req.readableEnded || req.destroyed || res.getHeader("connection") === "close") return;
    const cut = () => req.socket.destroy();
    const timer = setTimeout(cut, DRAIN_MS).unref();
    req.once("end", () => clearTimeout(timer));
    req.once("close", () => clearTimeout(timer));
    // Whoever read part of the body may have left a 'readable' listener,
    // which keeps the stream from flowing.
    req.removeAllListeners("readable");
    req.removeAllListeners("data");
    let drained = 0;
    req.on("data", (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > bound) cut();
    });
    req.resume();
  });
}
