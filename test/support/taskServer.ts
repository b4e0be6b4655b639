import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface Received {
  path: string;
  body: Record<string, unknown>;
  raw: string;
  // Exactly as received, for checking a signature over the body's bytes.
  bytes: Buffer;
  headers: IncomingHttpHeaders;
  at: number;
  // When the connection closed before an answer was sent (the caller cut it).
  cutAt?: number;
}

export type Answer = { status?: number; body: unknown; delayMs?: number } | "hang";

// A real task server on 127.0.0.1: records every request and answers
// heartbeats with a pong and tasks with what the test set for the path.
export class FakeTaskServer {
  readonly received: Received[] = [];
  pong: unknown = { pong: true };
  private readonly answers = new Map<string, Answer>();
  private server?: Server;
  port = 0;

  answer(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  tasks(path?: string): Received[] {
    return this.received.filter((r) => r.path !== "/" && (path === undefined || r.path === path));
  }

  heartbeats(): Received[] {
    return this.received.filter((r) => r.path === "/");
  }

  // With tls, an https task server presenting that certificate; host, the
  // loopback address to listen on.
  async start(port = 0, opts: { tls?: { certFile: string; keyFile: string }; host?: string } = {}): Promise<this> {
    const { tls, host = "127.0.0.1" } = opts;
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const bytes = Buffer.concat(chunks);
        const raw = bytes.toString("utf8");
        const path = req.url ?? "/";
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          // recorded raw
        }
        const received: Received = { path, body, raw, bytes, headers: req.headers, at: Date.now() };
        this.received.push(received);
        res.once("close", () => {
          if (!res.writableEnded) received.cutAt = Date.now();
        });
        const answer: Answer = path === "/" ? { body: this.pong } : (this.answers.get(path) ?? { body: { is_success: true, extra: "done" } });
        if (answer === "hang") return;
        const send = () => {
          res.writeHead(answer.status ?? 200, { "content-type": "application/json" });
          res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs);
        else send();
      });
    };
    this.server = tls ? createHttpsServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, listener) : createServer(listener);
    await new Promise<void>((resolve) => this.server!.listen(port, host, resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
