// npm run bench [-- --only case,case] [--dialects sqlite|mysql] [--million] [--profile] [--cluster] [--json]:
// the scheduler's numbers on this machine, on SQLite and on a private MariaDB. A
// real easytask process and a task server on 127.0.0.1 that answers at once;
// prints a table, appends it to bench/RESULTS.md, and with --json prints
// one JSON object on its last line. --cluster (or --only cluster) runs only
// the cluster case: 1 node, then 3 nodes sharing the shards, on MariaDB.
// npm run bench -- --migration: only the upgrade from easytask (Go), see migration.ts.
import { appendFileSync } from "node:fs";
import { Agent } from "node:http";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { openStore } from "../src/store/openStore.js";
import { freshStore, stopSharedMariaDb, type DialectName } from "../test/support/node.js";
import { startNodeProcess } from "../test/support/processNode.js";
import { addTask } from "./cases/addTask.js";
import { burst1000, burst10000 } from "./cases/burst.js";
import { cluster } from "./cases/cluster.js";
import { hundredThousand } from "./cases/listTasks.js";
import { million } from "./cases/million.js";
import { sustained } from "./cases/sustained.js";
import { runMigrationBench } from "./migration.js";
import { fastTaskServer, postJson, progress, type BenchContext, type Measures } from "./support.js";

if (process.argv.includes("--migration")) {
  await runMigrationBench();
  process.exit(0);
}

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
// --profile: every node process writes a V8 CPU profile here when it stops.
const PROFILES = fileURLToPath(new URL("../../bench/profiles", import.meta.url));

// Each case with the settings it runs under; they run in this order, each
// on the database the cases before it used (they stop their tasks).
const CASES: Record<string, { env?: Record<string, string>; run: (ctx: BenchContext) => Promise<Measures> }> = {
  // Default callback pool (50), as a new user runs it.
  burst_1000: { run: burst1000 },
  burst_10000: { run: burst10000 },
  add_task: { run: addTask },
  sustained: {
    env: { EASYTASK_TASK_WORKER_POOL_SIZE: "200" },
    run: async (ctx) => ({ ...(await sustained(ctx, 1000)), ...(await sustained(ctx, ctx.dialect === "sqlite" ? 8000 : 5000)) }),
  },
  list_tasks: { run: hundredThousand },
  million: { run: million },
};

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const chosen = (process.argv.includes("--only") ? arg("--only")?.split(",") : undefined) ?? Object.keys(CASES).filter((c) => c !== "million" || process.argv.includes("--million"));
const clusterOnly = process.argv.includes("--cluster") || (chosen.length === 1 && chosen[0] === "cluster");
for (const c of clusterOnly ? [] : chosen) if (!CASES[c]) throw new Error(`no bench case ${c}; cases: ${[...Object.keys(CASES), "cluster"].join(", ")}`);

async function benchDialect(dialect: DialectName): Promise<Measures> {
  progress(`${dialect}: starting`);
  const { store: storeConfig, cleanup } = await freshStore(dialect);
  const baseEnv = {
    EASYTASK_API_SERVER__HTTP__PORT: "0",
    EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
    ...(storeConfig.kind === "sqlite" ? { EASYTASK_SQLITE__PATH: storeConfig.path } : { EASYTASK_MYSQL__DSN: storeConfig.url }),
  };
  const nodeArgs = process.argv.includes("--profile") ? ["--cpu-prof", `--cpu-prof-dir=${PROFILES}/${dialect}`] : [];
  const taskServer = await fastTaskServer();
  // The bench writes and stops up to a million tasks in one statement.
  const store = await openStore(storeConfig.kind === "sqlite" ? storeConfig : { kind: "mysql", url: storeConfig.url, queryTimeoutMs: 600_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const ctx: BenchContext = {
    dialect,
    node: await startNodeProcess([], baseEnv, nodeArgs),
    store,
    taskServer,
    agent,
    async restart(env = {}) {
      if (ctx.node.proc.exitCode === null) await ctx.node.stop();
      ctx.node = await startNodeProcess([], { ...baseEnv, ...env }, nodeArgs);
      return ctx.node;
    },
  };
  const results: Measures = {};
  try {
    await postJson(agent, ctx.node.port, "/add_task_server", { name: "bench", schema: "http", host: "127.0.0.1", port: taskServer.port });
    for (const name of chosen) {
      await ctx.restart(CASES[name].env);
      Object.assign(results, await CASES[name].run(ctx));
    }
    return results;
  } finally {
    agent.destroy();
    if (ctx.node.proc.exitCode === null) await ctx.node.stop();
    await store.close();
    await taskServer.close();
    cleanup();
  }
}

// The cluster case needs etcd and MySQL: it runs alone, on MariaDB.
async function benchCluster(): Promise<Measures> {
  const { store: storeConfig } = await freshStore("mysql");
  if (storeConfig.kind !== "mysql") throw new Error("unreachable");
  const taskServer = await fastTaskServer();
  const store = await openStore({ kind: "mysql", url: storeConfig.url });
  const agent = new Agent({ keepAlive: true });
  try {
    // The task server every node calls, registered once.
    const first = await startNodeProcess([], { EASYTASK_API_SERVER__HTTP__PORT: "0", EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1", EASYTASK_MYSQL__DSN: storeConfig.url });
    await postJson(agent, first.port, "/add_task_server", { name: "bench", schema: "http", host: "127.0.0.1", port: taskServer.port });
    await first.stop();
    return await cluster(storeConfig.url, store, taskServer);
  } finally {
    agent.destroy();
    await store.close();
    await taskServer.close();
  }
}

// --dialects sqlite or mysql runs one of them only.
const dialects = (process.argv.includes("--dialects") ? arg("--dialects")!.split(",") : ["sqlite", "mysql"]) as DialectName[];
const results: Partial<Record<DialectName, Measures>> = {};
if (clusterOnly) results.mysql = await benchCluster();
else for (const dialect of dialects) results[dialect] = await benchDialect(dialect);
await stopSharedMariaDb();

const rows = [...new Set(Object.values(results).flatMap((r) => Object.keys(r)))];
const cell = (dialect: DialectName, k: string) => results[dialect]?.[k] ?? "";
const table = clusterOnly
  ? ["| measure | MariaDB, etcd ×3 |", "|---|---|", ...rows.map((k) => `| ${k} | ${cell("mysql", k)} |`)].join("\n")
  : ["| measure | SQLite | MariaDB |", "|---|---|---|", ...rows.map((k) => `| ${k} | ${cell("sqlite", k)} | ${cell("mysql", k)} |`)].join("\n");
const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const section = `\n## ${new Date().toISOString().slice(0, 10)} — ${machine}\n\n${table}\n`;
appendFileSync(RESULTS, section);
console.log(section);
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
