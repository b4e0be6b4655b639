import { createConnection } from "mysql2/promise";
import { secretsOf } from "./config/config.js";
import { ConfigError, loadConfig, parseArgs } from "./config/loadConfig.js";
import { createLogger } from "./log/log.js";
import { inspectDatabase } from "./store/legacyImport/goTables.js";
import { describeUpgrade } from "./store/legacyImport/plan.js";
import { connect, openStore } from "./store/openStore.js";

const USAGE = "usage: easytask migrate [--dry-run] [-c FILE]";

// Says whether the database exists; the dry run must not create it.
async function databaseExists(url: string): Promise<boolean> {
  try {
    await (await createConnection({ uri: url, connectTimeout: 10_000 })).end();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "ER_BAD_DB_ERROR") return false;
    throw err;
  }
}

// `easytask migrate [--dry-run] -c conf.json`: takes a database of easytask
// (Go) over as a start would, then exits; with --dry-run, prints what that
// would do and changes nothing. Returns the exit code.
export async function runMigrate(argv: string[]): Promise<number> {
  const dryRun = argv.includes("--dry-run");
  let config;
  try {
    config = loadConfig({ configPath: parseArgs(argv.filter((a) => a !== "--dry-run")).configPath, env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`easytask migrate: ${err.message} (${USAGE})\n`);
    return 1;
  }
  if (config.store.kind !== "mysql") {
    process.stdout.write("Nothing to migrate: mysql.dsn is not set, and easytask (Go) kept its data in MySQL.\n");
    return 0;
  }
  const storeConfig = config.store;
  if (dryRun) {
    if (!(await databaseExists(storeConfig.url))) {
      process.stdout.write(`Nothing to migrate: database "${config.store.database}" does not exist; a start would create it.\n`);
      return 0;
    }
    const { kysely, close } = connect(storeConfig);
    try {
      process.stdout.write(`${await describeUpgrade({ kysely, dialect: "mysql" }, { timeZone: config.easytaskGo.timeZone })}\n`);
    } finally {
      await close();
    }
    return 0;
  }
  const log = createLogger(config.log.level, { secrets: secretsOf(config) });
  const store = await openStore(storeConfig, { log, goTimeZone: config.easytaskGo.timeZone });
  try {
    const found = await inspectDatabase(store);
    process.stdout.write(
      found.kind === "imported"
        ? `The database is migrated from easytask (Go) (on ${new Date(found.importedAt).toISOString()}): start easytask on it.\n`
        : "Nothing to migrate: the database holds no tables of easytask (Go); its schema is up to date.\n",
    );
  } finally {
    await store.close();
  }
  return 0;
}
