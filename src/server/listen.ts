import { createServer as createHttpServer } from "node:http";
import { createServer as createHttp2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { Duplex } from "node:stream";
import type { RequestHandler } from "./http.js";

export interface Listening {
  port: number;
  close(): Promise<void>;
}

const H2_PREFACE_START = Buffer.from("PRI");

// One port for HTTP/1.1 (Connect, gRPC-Web, the documented paths) and
// cleartext HTTP/2 with prior knowledge (gRPC, buf curl): the first bytes of
// a connection tell which, since only HTTP/2's preface starts with "PRI".
// The HTTP/2 server reads a net.Socket's native handle directly and would
// miss bytes already read from it; given any other duplex stream it reads
// through JavaScript, so the sniffed bytes are handed over in one.
function replay(head: Buffer, socket: Socket): Duplex {
  const stream = new Duplex({
    read: () => socket.resume(),
    write: (chunk, encoding, callback) => socket.write(chunk, encoding, callback),
    final: (callback) => socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(head);
  socket.on("data", (chunk) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once("end", () => stream.push(null));
  socket.once("close", () => stream.destroy());
  socket.once("error", (err) => stream.destroy(err));
  return stream;
}

export async function listen(handler: RequestHandler, host: string, port: number): Promise<Listening> {
  const h1 = createHttpServer(handler);
  const h2 = createHttp2Server(handler);
  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  h2.on("session", (s: Http2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < H2_PREFACE_START.length && head.equals(H2_PREFACE_START.subarray(0, head.length))) return;
      socket.off("data", onData);
      if (head.subarray(0, 3).equals(H2_PREFACE_START)) {
        h2.emit("connection", replay(head, socket));
      } else {
        socket.pause();
        socket.unshift(head);
        h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close();
      h1.closeIdleConnections();
      // Give in-flight requests a moment, then cut what is left.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
