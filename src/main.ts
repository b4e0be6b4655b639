import { secretsOf } from "./config/config.js";
import { readFileSync } from "node:fs";
import { ConfigError, loadConfig, parseArgs, USAGE } from "./config/loadConfig.js";
import { createLogger } from "./log/log.js";
import { runMigrate } from "./migrateCommand.js";
import { startNode } from "./node.js";

// `easytask [-c conf.json]`: one line and exit code 1 on a bad config; on
// SIGTERM or SIGINT, stop taking runs, wait for callbacks in flight, exit 0.
// `easytask migrate [--dry-run] [-c conf.json]`: see migrateCommand.ts.
async function main(): Promise<void> {
  // A closed stdout or stderr (the reader went away: a process manager
  // rotating its pipe, `| head`) must not stop the node; what it logs
  // meanwhile is lost. Unhandled, the stream's EPIPE error would end it.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => {});
  const argv = process.argv.slice(2);
  if (argv[0] === "migrate") process.exit(await runMigrate(argv.slice(1)));
  let config;
  try {
    const args = parseArgs(argv);
    if (args.help) return void process.stdout.write(USAGE);
    if (args.version) return void process.stdout.write(`easytask ${version()}\n`);
    config = loadConfig({ configPath: args.configPath, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`easytask: ${err.message}\n`);
    process.exit(1);
  }
  const log = createLogger(config.log.level, { secrets: secretsOf(config) });
  // Passwords are redacted (by name, and by value wherever they appear).
  log.debug("configuration", { config });
  if (config.pprofPort !== undefined) log.info("api_server.http.pprof_port is ignored: Node.js has no pprof endpoint");
  if (config.sqlitePathIgnored !== undefined) log.info("sqlite.path is ignored: mysql.dsn is set, so the data lives in MySQL", { sqlite_path: config.sqlitePathIgnored });
  if (config.env.forClients.length > 0) {
    log.info("environment variables for clients are not read by the server (its API tokens are auth.tokens)", { names: config.env.forClients });
  }
  if (config.env.unknown.length > 0) log.warn("environment variables that match no config key are ignored", { names: config.env.unknown });
  if (config.log.logDir !== undefined || config.log.fileSize !== undefined) log.info("log.log_dir and log.file_size are ignored: logs go to stdout as JSON lines");
  const node = await startNode(config, { log });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    node.stop().then(
      () => process.exit(0),
      (err) => {
        log.error("shutdown failed", { err });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

// dist/src/main.js → the package's own package.json, installed or not.
const version = () => (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

main().catch((err) => {
  process.stderr.write(`easytask: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
