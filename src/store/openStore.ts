import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { createPool } from "mysql2";
import { CompiledQuery, Kysely, Migrator, MysqlDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from "kysely";
import { localTimeZone } from "../calendar/goCron.js";
import { silentLogger, type Logger } from "../log/log.js";
import { DEFAULT_QUERY_TIMEOUT_SEC } from "./availability.js";
import { boundedPool } from "./boundedPool.js";
import { failoverPool, hostUrls } from "./failoverPool.js";
import type { Database, Db, RunEnd, RunEndSink } from "./database.js";
import { ensureDatabase } from "./ensureDatabase.js";
import { upgradeFromEasytaskGo } from "./legacyImport/upgrade.js";
import { migrationProvider } from "./migrations.js";

// queryTimeoutMs: mysql.query_timeout_sec; SQLite answers in-process and
// waits at most its busy timeout. A mysql:// URL may list several hosts
// (host:port,host:port): see failoverPool.
export type StoreConfig = { kind: "sqlite"; path: string } | { kind: "mysql"; url: string; queryTimeoutMs?: number };

export interface Store extends Db {
  runEnds: RunEndFeed;
  close(): Promise<void>;
}

// Tells every watcher (the metrics) of the attempts that ended.
export class RunEndFeed implements RunEndSink {
  private readonly watchers: ((ends: RunEnd[]) => void)[] = [];

  watch(fn: (ends: RunEnd[]) => void): void {
    this.watchers.push(fn);
  }

  add(ends: RunEnd[]): void {
    for (const fn of this.watchers) fn(ends);
  }
}

const STATEMENT_CACHE = 500;

// Kysely prepares every query anew, which costs about as much as running it
// on SQLite; the same few statements run over and over, so keep them.
function withStatementCache(database: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value as string);
        statement = database.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

// Transactions take SQLite's write lock when they begin (BEGIN IMMEDIATE).
// A deferred one that reads, then writes, fails at once with SQLITE_BUSY if
// another process wrote in between, where an immediate one waits its turn
// (busy_timeout); claims read the rows they are about to update.
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("begin immediate"));
  }
}

class ImmediateTransactions extends SqliteDialect {
  constructor(private readonly sqliteConfig: SqliteDialectConfig) {
    super(sqliteConfig);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.sqliteConfig);
  }
}

interface Connected {
  kysely: Kysely<Database>;
  // Once the schema is migrated: from then on every query is bounded.
  migrated(): void;
  close(): Promise<void>;
}

// A host of several that could not be reached is asked again after this.
const HOST_RETRY_MS = 5000;

export function connect(config: StoreConfig): Connected {
  if (config.kind === "sqlite") {
    if (config.path !== ":memory:") mkdirSync(dirname(config.path), { recursive: true });
    const database = new SqliteDatabase(config.path);
    // WAL lets readers (the API) go on while the scheduler writes; the busy
    // timeout covers a second process on the same file (tests, tools).
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("busy_timeout = 5000");
    const kysely = new Kysely<Database>({ dialect: new ImmediateTransactions({ database: withStatementCache(database) }) });
    return { kysely, migrated: () => {}, close: () => kysely.destroy() };
  }
  const queryTimeoutMs = config.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_SEC * 1000;
  // Migrations run unbounded: altering a big table may take minutes.
  let limitMs = 0;
  const options = (uri: string) => ({
    uri,
    connectionLimit: 20,
    charset: "utf8mb4",
    // Keep the server's session time zone out of it: every time is epoch ms.
    timezone: "Z",
    enableKeepAlive: true,
    connectTimeout: queryTimeoutMs,
  });
  const urls = hostUrls(config.url);
  const raw = urls.length === 1 ? createPool(options(urls[0]!)) : failoverPool(urls.map((url) => createPool(options(url))), HOST_RETRY_MS);
  const pool = boundedPool(raw, () => limitMs);
  const kysely = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  return {
    kysely,
    migrated: () => (limitMs = queryTimeoutMs),
    // Not kysely.destroy(): it waits for the server to answer every goodbye.
    close: () => pool.close(),
  };
}

export async function migrateToLatest({ kysely, dialect }: Pick<Db, "kysely" | "dialect">): Promise<void> {
  // Migrations are numbered as branches were planned, not as they landed: a
  // database that already has 0005 still gets 0003 and 0004. Each one
  // stands alone, so the order they run in does not matter.
  const migrator = new Migrator({ db: kysely, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const name = failed ? ` ${failed.migrationName}` : "";
    throw new Error(`database migration${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface OpenOptions {
  log?: Logger;
  // The zone the Go original read its crons in, should the database be its.
  goTimeZone?: string;
  // Stamped on the runs claimed through the store (task_log.node_id).
  nodeId?: string;
}

// Opens the configured database (MySQL: creating it if it is missing),
// takes over the Go original's tables if it holds them, and brings the
// schema up to date.
export async function openStore(config: StoreConfig, opts: OpenOptions = {}): Promise<Store> {
  const log = opts.log ?? silentLogger;
  // Of several hosts (a Galera cluster's members), the first says.
  if (config.kind === "mysql") await ensureDatabase(hostUrls(config.url)[0]!, log);
  const { kysely, migrated, close } = connect(config);
  const store: Store = { kysely, dialect: config.kind, nodeId: opts.nodeId ?? "", runEnds: new RunEndFeed(), close };
  try {
    // The Go original ran on MySQL only.
    if (config.kind === "mysql") await upgradeFromEasytaskGo(store, { log, timeZone: opts.goTimeZone ?? localTimeZone(), migrate: () => migrateToLatest(store) });
    await migrateToLatest(store);
  } catch (err) {
    await close();
    throw err;
  }
  migrated();
  return store;
}
