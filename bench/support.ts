// What every bench case shares: a task server that answers at once, a node
// process, load from 32 keep-alive clients, tasks straight into the database,
// and the arithmetic of the results.
import { readFileSync } from "node:fs";
import { createServer, Agent, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import { SchedMode, TaskState } from "../gen/easytask/v1/task_pb.js";
import type { Store } from "../src/store/openStore.js";
import { findTaskServerId } from "../src/store/taskServers.js";
import type { DialectName } from "../test/support/node.js";
import type { NodeProcess } from "../test/support/processNode.js";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
export const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

export type Measures = Record<string, number | string>;

export interface TaskServer {
  port: number;
  // When each run (task_id:run_times) arrived, epoch ms.
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

// A task server that answers at once and notes when each run arrived.
export async function fastTaskServer(): Promise<TaskServer> {
  const arrivals = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      const at = Date.now();
      const msg = JSON.parse(body || "{}") as { task_id?: string; run_times?: number };
      if (msg.task_id) arrivals.set(`${msg.task_id}:${msg.run_times}`, at);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(msg.task_id ? '{"is_run_in_async":false,"is_success":true,"extra":""}' : '{"pong":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, arrivals, close: () => new Promise((r) => server.close(() => r())) };
}

// What a case gets: its node (restartable with other settings), a direct
// line to the node's database, and the task server "bench".
export interface BenchContext {
  dialect: DialectName;
  node: NodeProcess;
  store: Store;
  taskServer: TaskServer;
  agent: Agent;
  // Stops the node and starts it again with these EASYTASK_* settings added.
  restart(env?: Record<string, string>): Promise<NodeProcess>;
}

// `total` requests from 32 keep-alive clients; returns requests per second and p99 ms.
export async function load(total: number, send: (i: number) => Promise<void>): Promise<{ rps: number; p99: number }> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await send(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { rps: Math.round(total / ((performance.now() - started) / 1000)), p99: Math.round(pct(latencies, 0.99) * 10) / 10 };
}

export function postJson(agent: Agent, port: number, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c));
      res.on("end", () => ((JSON.parse(text) as { code: number }).code === 0 ? resolve() : reject(new Error(text))));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

// Adds tasks straight into the database (as if added through the API),
// `dueAt(i)` giving each one's first due time.
export async function insertTasks(store: Store, prefix: string, count: number, fields: { mode: SchedMode; intervalSec?: number }, dueAt: (i: number) => number): Promise<void> {
  const taskServerId = (await findTaskServerId(store, "bench"))!;
  const now = Date.now();
  for (let i = 0; i < count; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({
      name: `${prefix}-${i + j}`,
      biz_id: "",
      task_server_id: taskServerId,
      callback_path: "/run",
      sched_mode: fields.mode,
      time_cron: "",
      time_interval_sec: fields.intervalSec ?? 0,
      time_spec_at: fields.mode === SchedMode.AT ? Math.floor(dueAt(i + j) / 1000) : 0,
      arg: "",
      state: TaskState.SCHEDULED,
      next_fire_at: dueAt(i + j),
      created_at: now,
      updated_at: now,
    }));
    await store.kysely.insertInto("task").values(rows).execute();
  }
}

export async function stopAll(store: Store): Promise<void> {
  await store.kysely.updateTable("task").set({ state: TaskState.STOPPED, next_fire_at: null, updated_at: Date.now(), version: sql`version + 1` }).execute();
}

// Lateness (callback arrival minus due time) of the runs due in [from, to).
export async function lateness(store: Store, arrivals: Map<string, number>, from: number, to: number): Promise<number[]> {
  const runs = await store.kysely.selectFrom("task_log").select(["task_id", "run_times", "due_at"]).where("due_at", ">=", from).where("due_at", "<", to).execute();
  const late = runs.flatMap((r) => {
    const at = arrivals.get(`${r.task_id}:${r.run_times}`);
    return at === undefined ? [] : [at - r.due_at];
  });
  return late.sort((a, b) => a - b);
}

export const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);

// CPU time the process used so far, ms (user + system).
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
