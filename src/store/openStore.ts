import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { createPool, createPoolCluster, type PoolOptions } from "mysql2";
import { Kysely, Migrator, MysqlDialect, SqliteDialect } from "kysely";
import type { Database, Db, RunEnd, RunEndSink } from "./database.js";
import { migrationProvider } from "./migrations.js";

// A mysql:// URL may list several hosts (host:port,host:port): see connect().
export type StoreConfig = { kind: "sqlite"; path: string } | { kind: "mysql"; url: string };

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

function connect(config: StoreConfig): Kysely<Database> {
  if (config.kind === "sqlite") {
    if (config.path !== ":memory:") mkdirSync(dirname(config.path), { recursive: true });
    const database = new SqliteDatabase(config.path);
    // WAL lets readers (the API) go on while the scheduler writes; the busy
    // timeout covers a second process on the same file (tests, tools).
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("busy_timeout = 5000");
    return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  }
  const options = (uri: string): PoolOptions => ({
    uri,
    connectionLimit: 20,
    charset: "utf8mb4",
    // Keep the server's session time zone out of it: every time is epoch ms.
    timezone: "Z",
    enableKeepAlive: true,
  });
  const urls = hostUrls(config.url);
  if (urls.length === 1) return new Kysely<Database>({ dialect: new MysqlDialect({ pool: createPool(options(urls[0]!)) }) });
  // Several hosts: connections go to the first that accepts them, in the
  // order listed. One that refuses is left alone for a while and the next is
  // tried; connections to a host that died fail and are replaced the same
  // way, so a node whose database member died goes on with the next.
  const cluster = createPoolCluster({ defaultSelector: "ORDER", removeNodeErrorCount: 1, restoreNodeTimeout: HOST_RETRY_MS });
  urls.forEach((url, i) => cluster.add(`host${i}`, options(url)));
  // Kysely asks a pool for getConnection(cb) and end(cb), which the cluster has.
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool: cluster as never }) });
}

// A host that refused a connection is tried again after this.
const HOST_RETRY_MS = 5000;

// mysql://user:pass@h1:1,h2:2/db → one URL per host.
export function hostUrls(url: string): string[] {
  const m = /^(mysql:\/\/(?:[^/?#]*@)?)([^/?#@]*)(.*)$/i.exec(url);
  if (!m) return [url];
  return m[2]!.split(",").map((host) => m[1] + host + m[3]);
}

export async function migrateToLatest({ kysely, dialect }: Pick<Db, "kysely" | "dialect">): Promise<void> {
  // Migrations are numbered as branches were planned, not as they landed: a
  // database that already has 0005 still gets 0003 and 0004. Each one
  // stands alone, so the order they run in does not matter.
  const migrator = new Migrator({ db: kysely, provider: migrationProvider(dialect), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// Opens the configured database and brings its schema up to date.
// Writes made through it are stamped with `nodeId` (task_log.node_id).
export async function openStore(config: StoreConfig, nodeId = ""): Promise<Store> {
  const kysely = connect(config);
  try {
    await migrateToLatest({ kysely, dialect: config.kind });
  } catch (err) {
    await kysely.destroy();
    throw err;
  }
  return { kysely, dialect: config.kind, nodeId, runEnds: new RunEndFeed(), close: () => kysely.destroy() };
}
