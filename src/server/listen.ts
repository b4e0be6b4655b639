import { createServer as createHttpServer } from "node:http";
import { createSecureServer, createServer as createHttp2Server, type Http2Session } from "node:http2";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import type { Logger } from "../log/log.js";
import type { RequestHandler } from "./http.js";
import { notAfter, readKeyPair, watchKeyPair, type TlsFiles } from "./tlsFiles.js";

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

export interface ListenOptions {
  host: string;
  port: number;
  // Serve TLS only, with this certificate and key.
  tls?: TlsFiles;
  log: Logger;
}

// Connections and HTTP/2 sessions of a server, so close() can end them.
interface Served {
  server: Server;
  sockets: Set<Socket>;
  sessions: Set<Http2Session>;
  // Ends HTTP/1.1 connections that have no request in flight.
  closeIdle(): void;
  stopWatching(): void;
}

function trackSessions(server: { on(event: "session", listener: (s: Http2Session) => void): unknown }): Set<Http2Session> {
  const sessions = new Set<Http2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  return sessions;
}

function trackSocket(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.once("close", () => sockets.delete(socket));
}

// Cleartext: HTTP/1.1 and HTTP/2 with prior knowledge on one port.
function cleartext(handler: RequestHandler): Served {
  const h1 = createHttpServer(handler);
  const h2 = createHttp2Server(handler);
  const sockets = new Set<Socket>();
  const sessions = trackSessions(h2);
  const server = createNetServer((socket) => {
    trackSocket(sockets, socket);
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
  return { server, sockets, sessions, closeIdle: () => h1.closeIdleConnections(), stopWatching: () => {} };
}

// TLS: HTTP/2 or HTTP/1.1 as the client's ALPN asks (gRPC and browsers
// negotiate h2; curl, fetch and gRPC-Web over HTTP/1.1 work too), with the
// certificate reloaded when its files change.
function secure(handler: RequestHandler, files: TlsFiles, log: Logger): Served {
  const pair = readKeyPair(files);
  const server = createSecureServer({ ...pair, allowHTTP1: true }, handler);
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => trackSocket(sockets, socket));
  const sessions = trackSessions(server);
  log.info("serving TLS", { cert_file: files.certFile, not_after: notAfter(pair) });
  const stopWatching = watchKeyPair(files, pair, (next) => server.setSecureContext(next), log);
  return { server, sockets, sessions, closeIdle: () => {}, stopWatching };
}

export async function listen(handler: RequestHandler, opts: ListenOptions): Promise<Listening> {
  const { server, sockets, sessions, closeIdle, stopWatching } = opts.tls ? secure(handler, opts.tls, opts.log) : cleartext(handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (err) {
    stopWatching();
    throw err;
  }
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      stopWatching();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sessions) s.close();
      closeIdle();
      // Give in-flight requests a moment, then cut what is left.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
