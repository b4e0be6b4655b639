// npm run bench [-- --json]: the scheduler's numbers on this machine, on
// SQLite and on a private MariaDB. A real easytask process, real task
// servers on 127.0.0.1; prints a table, appends it to bench/RESULTS.md, and
// with --json prints one JSON object on its last line.
// npm run bench -- --migration: only the upgrade from easytask (Go), see migration.ts.
import { appendFileSync, readFileSync } from "node:fs";
import { createServer, Agent, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { sql } from "kysely";
import { SchedMode, TaskService, TaskState } from "../gen/easytask/v1/task_pb.js";
import { openStore, type Store } from "../src/store/openStore.js";
import { findTaskServerId } from "../src/store/taskServers.js";
import { freshStore, stopSharedMariaDb, type DialectName } from "../test/support/node.js";
import { startNodeProcess, type NodeProcess } from "../test/support/processNode.js";
import { runMigrationBench } from "./migration.js";

if (process.argv.includes("--migration")) {
  await runMigrationBench();
  process.exit(0);
}

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

// A task server that answers at once and notes when each run arrived.
async function fastTaskServer(): Promise<{ port: number; arrivals: Map<string, number>; close(): Promise<void> }> {
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

// `total` requests from 32 keep-alive clients; returns requests per second and p99 ms.
async function load(total: number, send: (i: number) => Promise<void>): Promise<{ rps: number; p99: number }> {
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

function postJson(agent: Agent, port: number, path: string, body: unknown): Promise<void> {
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

// Adds interval tasks straight into the database, due spread over the next
// `spreadMs`, as if added through the API over that time.
async function insertIntervalTasks(store: Store, prefix: string, count: number, intervalSec: number, spreadMs: number): Promise<void> {
  const taskServerId = (await findTaskServerId(store, "bench"))!;
  const now = Date.now();
  for (let i = 0; i < count; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({
      name: `${prefix}-${i + j}`,
      biz_id: "",
      task_server_id: taskServerId,
      callback_path: "/run",
      sched_mode: SchedMode.INTERVAL,
      time_cron: "",
      time_interval_sec: intervalSec,
      time_spec_at: 0,
      arg: "",
      state: TaskState.SCHEDULED,
      next_fire_at: now + 1000 + Math.floor(((i + j) / count) * spreadMs),
      created_at: now,
      updated_at: now,
    }));
    await store.kysely.insertInto("task").values(rows).execute();
  }
}

async function stopAll(store: Store): Promise<void> {
  await store.kysely.updateTable("task").set({ state: TaskState.STOPPED, next_fire_at: null, updated_at: Date.now(), version: sql`version + 1` }).execute();
}

// Callbacks of runs due in [from, to): per second, and lateness (arrival minus due).
async function measure(store: Store, arrivals: Map<string, number>, from: number, to: number) {
  const runs = await store.kysely.selectFrom("task_log").select(["task_id", "run_times", "due_at"]).where("due_at", ">=", from).where("due_at", "<", to).execute();
  const lateness = runs.flatMap((r) => {
    const at = arrivals.get(`${r.task_id}:${r.run_times}`);
    return at === undefined ? [] : [at - r.due_at];
  });
  lateness.sort((a, b) => a - b);
  return { fires_per_sec: Math.round(lateness.length / ((to - from) / 1000)), p50: pct(lateness, 0.5), p99: pct(lateness, 0.99), max: lateness.at(-1) ?? NaN };
}

const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);

const progress = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

// The engine's numbers: add_task throughput, lateness and callbacks per second.
async function benchEngine(dialect: DialectName, port: number, store: Store, agent: Agent, taskServer: { arrivals: Map<string, number> }) {
  const farAway = Math.floor(Date.now() / 1000) + 86_400;
  progress(`${dialect}: add_task`);
  const documented = await load(4000, (i) => postJson(agent, port, "/add_task", { name: `doc-${i}`, srv_name: "bench", sched_mode: 2, time_spec_at: farAway }));
  const client = createClient(TaskService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));
  const connect = await load(4000, async (i) => {
    await client.addTask({ name: `connect-${i}`, srvName: "bench", schedMode: SchedMode.AT, timeSpecAt: BigInt(farAway) });
  });
  await stopAll(store);

  progress(`${dialect}: 1,000 fires per second`);
  // 1,000 fires per second: 1,000 tasks every second, due spread over the second.
  await insertIntervalTasks(store, "steady", 1000, 1, 1000);
  await sleep(4000);
  const windowStart = Date.now();
  await sleep(10_000);
  const steady = await measure(store, taskServer.arrivals, windowStart, Date.now() - 1000);
  await stopAll(store);
  await sleep(1500);

  progress(`${dialect}: 4,000 tasks every second`);
  // Sustained callbacks: 4,000 tasks every second.
  await insertIntervalTasks(store, "heavy", 4000, 1, 1000);
  await sleep(4000);
  const heavyStart = Date.now();
  await sleep(10_000);
  const heavy = await measure(store, taskServer.arrivals, heavyStart, Date.now() - 1000);
  await stopAll(store);
  await sleep(1500);
  return {
    fires_per_sec: heavy.fires_per_sec,
    fires_lateness_p99_ms: heavy.p99,
    lateness_p50_ms: steady.p50,
    lateness_p99_ms: steady.p99,
    lateness_max_ms: steady.max,
    steady_fires_per_sec: steady.fires_per_sec,
    add_task_rps: documented.rps,
    add_task_p99_ms: documented.p99,
    add_task_connect_rps: connect.rps,
    add_task_connect_p99_ms: connect.p99,
  };
}

// The console's task list over 100,000 tasks: one ListTasks page (50 tasks,
// as the console asks) at a time, p50 and max of 20 calls, in ms from the
// request sent to the answer read over loopback, so an upper bound of the
// server's time. The searches are substring matches over name and biz_id:
// "common" stops after the first page of matches, "rare" and "none" read
// every task.
async function benchListTasks(dialect: DialectName, port: number, lastId: number) {
  progress(`${dialect}: ListTasks pages over 100,000 tasks`);
  const client = createClient(TaskService, createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));
  const time = async (req: Parameters<typeof client.listTasks>[0], expect: (n: number) => boolean) => {
    const took: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = performance.now();
      const page = await client.listTasks({ pageSize: 50, ...req });
      if (i > 0) took.push(performance.now() - t);
      if (!expect(page.tasks.length)) throw new Error(`ListTasks ${JSON.stringify(req)} answered ${page.tasks.length} tasks`);
    }
    took.sort((a, b) => a - b);
    return `${pct(took, 0.5).toFixed(1)} / ${took.at(-1)!.toFixed(1)}`;
  };
  return {
    list_tasks_first_page_ms: await time({}, (n) => n === 50),
    list_tasks_last_pages_ms: await time({ pageToken: String(lastId - 60) }, (n) => n > 0),
    list_tasks_by_server_state_ms: await time({ srvName: "bench", state: TaskState.SCHEDULED }, (n) => n === 50),
    list_tasks_search_common_ms: await time({ query: "IDLE-1" }, (n) => n === 50),
    list_tasks_search_rare_ms: await time({ query: "idle-99999" }, (n) => n === 1),
    list_tasks_search_none_ms: await time({ query: "no-such-task" }, (n) => n === 0),
  };
}

// With --list-tasks only the 100,000-task phase runs (memory and ListTasks).
const LIST_ONLY = process.argv.includes("--list-tasks");

async function benchStore(dialect: DialectName) {
  progress(`${dialect}: starting`);
  const { store: storeConfig, cleanup } = await freshStore(dialect);
  const env = {
    EASYTASK_API_SERVER__HTTP__PORT: "0",
    EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
    EASYTASK_TASK_WORKER_POOL_SIZE: "200",
    ...(storeConfig.kind === "sqlite" ? { EASYTASK_SQLITE__PATH: storeConfig.path } : { EASYTASK_MYSQL__DSN: storeConfig.url }),
  };
  const taskServer = await fastTaskServer();
  let node: NodeProcess = await startNodeProcess([], env);
  const store = await openStore(storeConfig.kind === "sqlite" ? storeConfig : { kind: "mysql", url: storeConfig.url });
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  try {
    await postJson(agent, node.port, "/add_task_server", { name: "bench", schema: "http", host: "127.0.0.1", port: taskServer.port });
    const engine = LIST_ONLY ? {} : await benchEngine(dialect, node.port, store, agent, taskServer);

    progress(`${dialect}: 100,000 tasks`);
    // Memory with 100,000 scheduled tasks (every hour, due spread over it),
    // in a fresh process so the load before does not count.
    await node.stop();
    node = await startNodeProcess([], env);
    await insertIntervalTasks(store, "idle", 100_000, 3600, 3_600_000);
    await sleep(8000);
    const rss = rssMb(node.proc.pid!);
    const { lastId } = await store.kysely.selectFrom("task").select((eb) => eb.fn.max("id").as("lastId")).executeTakeFirstOrThrow();
    return { ...engine, rss_mb_100k_tasks: rss, ...(await benchListTasks(dialect, node.port, Number(lastId))) };
  } finally {
    agent.destroy();
    await node.stop();
    await store.close();
    await taskServer.close();
    cleanup();
  }
}

const results = { sqlite: await benchStore("sqlite"), mysql: await benchStore("mysql") };
await stopSharedMariaDb();

const rows = Object.keys(results.sqlite) as (keyof typeof results.sqlite)[];
const table = ["| measure | SQLite | MariaDB |", "|---|---|---|", ...rows.map((k) => `| ${k} | ${results.sqlite[k]} | ${results.mysql[k]} |`)].join("\n");
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const section = `\n## ${new Date().toISOString().slice(0, 10)} — ${machine}\n\n${table}\n`;
appendFileSync(RESULTS, section);
console.log(section);
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
