import { create, fromJson, toJson, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { callbackContext, type TaskContext } from "./callbackContext.js";
import type { EasytaskClient } from "./client.js";
import { HeartbeatResponseSchema, TaskCallbackRequestSchema, TaskCallbackResponseSchema, type TaskCallbackRequest } from "./gen/easytask/v1/callback_pb.js";
import { DEFAULT_SIGNATURE_TOLERANCE_SEC, SignatureError, verifySignature } from "./verifySignature.js";

/** What a handler answers: `{ isSuccess, extra }`, or `{ isRunInAsync: true }` and a later `confirm`. */
export type TaskResult = MessageInitShape<typeof TaskCallbackResponseSchema>;

export type TaskHandler = (task: TaskCallbackRequest, ctx: TaskContext) => TaskResult | Promise<TaskResult>;

export interface TaskServerOptions {
  client: EasytaskClient;
  /** The task server name that tasks name in `srv_name`. */
  name: string;
  handler: TaskHandler;
  /** Listen address; default "127.0.0.1". */
  host?: string;
  /** Listen port; default 0, a free one. */
  port?: number;
  /** The host the scheduler calls; default `host`. Needed when listening on 0.0.0.0 or ::. */
  advertiseHost?: string;
  /** HTTP timeout of callbacks to this server; 0 means the scheduler's default (30 s). */
  callbackTimeoutSec?: number;
  /** Ask the scheduler for heartbeats (and eviction after 3 failures); default true. */
  healthCheck?: boolean;
  /** Largest callback body accepted; default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * The task server's signing secret (16 to 256 visible ASCII characters).
   * `start()` registers it with AddTaskServer, and every callback and
   * heartbeat must then be signed with it: others are answered HTTP 401 and
   * the handler does not run.
   */
  secret?: string;
  /** How far, in seconds, a signed callback's timestamp may be from now; default 300. */
  signatureToleranceSec?: number;
}

// Answers are written as the scheduler's task servers always wrote them:
// proto field names, zero values included.
const WIRE = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", ""]);

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BadRequest(413, `body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJsonObject(raw: Buffer): JsonObject {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new BadRequest(400, "body is not JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest(400, "body is not a JSON object");
  return body as JsonObject;
}

/**
 * Serves the easytask callback protocol with one handler, and registers
 * itself as a route of task server `name` while running.
 *
 * A heartbeat is told from a task by the absence of `task_id`, not by `cmd`,
 * so the same server works with either `callback_cmd_numbering` and with the
 * Go original.
 */
export class TaskServer {
  private readonly options: Required<Omit<TaskServerOptions, "advertiseHost" | "secret">> & { advertiseHost: string; secret?: string };
  private server?: Server;
  private registeredPort = 0;

  constructor(options: TaskServerOptions) {
    if (!options.name) throw new TypeError("easytask: TaskServer needs a name (the srv_name of its tasks)");
    if (typeof options.handler !== "function") throw new TypeError("easytask: TaskServer needs a handler function");
    const host = options.host ?? "127.0.0.1";
    const advertiseHost = options.advertiseHost ?? host;
    if (options.secret === "") throw new TypeError("easytask: TaskServer secret is empty: leave it out for unsigned callbacks");
    if (WILDCARD_HOSTS.has(advertiseHost)) {
      throw new TypeError(`easytask: listening on ${JSON.stringify(host)}, the scheduler needs an address to call: set advertiseHost`);
    }
    this.options = {
      port: 0,
      callbackTimeoutSec: 0,
      healthCheck: true,
      maxBodyBytes: 1 << 20,
      signatureToleranceSec: DEFAULT_SIGNATURE_TOLERANCE_SEC,
      ...options,
      host,
      advertiseHost,
    };
  }

  /** The port listened on while started; 0 otherwise. */
  get port(): number {
    return this.registeredPort;
  }

  /** A node:http request listener, to mount the protocol in a server of your own. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    void this.serve(req, res);
  };

  /**
   * Listens, then registers the route with AddTaskServer. Its errors say which
   * step failed, with the error of that step as `cause` (a ConnectError when
   * the scheduler refused).
   */
  async start(): Promise<void> {
    if (this.server) throw new Error("easytask: TaskServer already started");
    const { name, host, port } = this.options;
    const server = createServer(this.listener);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, resolve);
      });
    } catch (err) {
      throw new Error(`easytask: listening for task server ${name} on ${host}:${port}: ${(err as Error).message}`, { cause: err });
    }
    this.server = server;
    this.registeredPort = (server.address() as AddressInfo).port;
    try {
      const { callbackTimeoutSec, healthCheck, secret } = this.options;
      await this.options.client.registry.addTaskServer(this.route({ callbackTimeoutSec, isEnableHealthCheck: healthCheck, secret }));
    } catch (err) {
      await this.close();
      throw new Error(`easytask: registering task server ${name}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Unregisters the route with DelTaskServer, then stops listening. */
  async stop(): Promise<void> {
    if (!this.server) return;
    try {
      await this.options.client.registry.delTaskServer(this.route({}));
    } finally {
      await this.close();
    }
  }

  /** Reports the outcome of a run the handler answered with `isRunInAsync: true`. */
  async confirm(task: TaskCallbackRequest, isSuccess: boolean, extra = ""): Promise<void> {
    await this.options.client.tasks.confirmTask({ taskId: task.taskId, taskRunTimes: task.runTimes, isSuccess, extra });
  }

  private route<T extends object>(more: T) {
    return { name: this.options.name, schema: "http", host: this.options.advertiseHost, port: this.registeredPort, ...more };
  }

  private async close(): Promise<void> {
    const server = this.server!;
    this.server = undefined;
    this.registeredPort = 0;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST") return send(405, { error: "easytask callbacks are POST requests" });
    try {
      const raw = await readBody(req, this.options.maxBodyBytes);
      if (this.options.secret !== undefined) verifySignature(this.options.secret, req.headers, raw, { toleranceSec: this.options.signatureToleranceSec });
      const body = parseJsonObject(raw);
      if (!("task_id" in body)) return send(200, toJson(HeartbeatResponseSchema, create(HeartbeatResponseSchema, { pong: true }), WIRE));
      let task: TaskCallbackRequest;
      try {
        task = fromJson(TaskCallbackRequestSchema, body, { ignoreUnknownFields: true });
      } catch (err) {
        throw new BadRequest(400, `body is not a task callback: ${(err as Error).message}`);
      }
      const hangUp = new AbortController();
      res.once("close", () => hangUp.abort());
      let result: TaskResult;
      try {
        result = await this.options.handler(task, callbackContext((req.url ?? "/").split("?")[0], req.headers, hangUp.signal));
      } catch (err) {
        result = { isSuccess: false, extra: err instanceof Error ? err.message : String(err) };
      }
      send(200, toJson(TaskCallbackResponseSchema, create(TaskCallbackResponseSchema, result), WIRE));
    } catch (err) {
      if (err instanceof BadRequest) return send(err.status, { error: err.message });
      if (err instanceof SignatureError) return send(401, { error: err.message });
      // E.g. a handler result that is not a TaskCallbackResponse: the
      // scheduler records the run as failed with this answer.
      send(500, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
