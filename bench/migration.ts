// npm run bench -- --migration: how long the first start of easytask takes on
// a database of the Go original with 100,000 tasks (of every kind the
// original holds) and 1,000,000 runs, on a private MariaDB. Prints a table
// and appends it to bench/RESULTS.md.
import { appendFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { createLogger } from "../src/log/log.js";
import { describeUpgrade } from "../src/store/legacyImport/plan.js";
import { connect, openStore } from "../src/store/openStore.js";
import { startMariaDb } from "../test/harness/mariadb.js";
import { createGoDatabase, insertGoDataset } from "../test/support/goDatabase.js";
import { progress } from "./support.js";

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const seconds = (ms: number) => Math.round(ms / 100) / 10;

// The tests' MariaDB keeps an 8 MB redo log and a 64 MB buffer pool, which a
// transaction of a million rows outgrows many times over; a server that
// holds such a database has more.
const SERVER = ["--innodb-buffer-pool-size=1G", "--innodb-log-file-size=512M"];

export async function benchMigration(opts = { tasks: 100_000, runsPerTask: 10 }): Promise<Record<string, number>> {
  const mariadb = await startMariaDb({ settings: SERVER });
  try {
    const { url, conn } = await createGoDatabase(mariadb.url, "go_bench", { rows: false });
    let started = performance.now();
    await insertGoDataset(conn, { ...opts, now: Math.floor(Date.now() / 1000), onProgress: progress });
    await conn.end();
    const prepareMs = performance.now() - started;
    progress(`dataset ready in ${seconds(prepareMs)} s; dry run`);

    const { kysely, close } = connect({ kind: "mysql", url });
    started = performance.now();
    await describeUpgrade({ kysely, dialect: "mysql" }, { timeZone: "UTC" });
    const dryRunMs = performance.now() - started;
    await close();
    progress(`dry run in ${seconds(dryRunMs)} s; migration`);

    // What the first start does, with the log line that times the copy.
    let copyMs = NaN;
    const log = createLogger("info", {
      write: (line) => {
        const record = JSON.parse(line) as { msg: string; copy_ms?: number };
        if (record.msg === "migrated from easytask (Go)") copyMs = record.copy_ms!;
      },
    });
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
    started = performance.now();
    const store = await openStore({ kind: "mysql", url }, { log, goTimeZone: "UTC" });
    const startMs = performance.now() - started;
    clearInterval(sampler);
    await store.close();
    const runs = opts.tasks * opts.runsPerTask;
    return {
      tasks: opts.tasks,
      runs,
      dataset_insert_s: seconds(prepareMs),
      dry_run_s: seconds(dryRunMs),
      first_start_s: seconds(startMs),
      copy_s: seconds(copyMs),
      copied_rows_per_s: Math.round((opts.tasks + runs) / (copyMs / 1000)),
      peak_rss_mb: Math.round(peakRss / 2 ** 20),
    };
  } finally {
    await mariadb.stop();
  }
}

export async function runMigrationBench(): Promise<void> {
  const results = await benchMigration();
  const table = ["| measure | MariaDB |", "|---|---|", ...Object.entries(results).map(([k, v]) => `| ${k} | ${v} |`)].join("\n");
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const section = `\n## ${new Date().toISOString().slice(0, 10)} — ${machine} — migration from easytask (Go)\n\n${table}\n`;
  appendFileSync(RESULTS, section);
  console.log(section);
}
