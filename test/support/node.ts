import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnection } from "mysql2/promise";
import { defaultConfig, type Config } from "../../src/config/config.js";
import { createLogger, silentLogger } from "../../src/log/log.js";
import { startNode, type NodeOptions, type RunningNode } from "../../src/node.js";
import { DEFAULT_QUERY_TIMEOUT_SEC } from "../../src/store/availability.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";

export type DialectName = "sqlite" | "mysql";
export const DIALECTS: DialectName[] = ["sqlite", "mysql"];

// One private MariaDB per test file, shared by its nodes; each node gets a
// database of its own so tests do not see each other's rows.
let mariadb: Promise<PrivateMariaDb> | undefined;
let databases = 0;

export async function stopSharedMariaDb(): Promise<void> {
  if (mariadb) await (await mariadb).stop();
  mariadb = undefined;
}

export async function freshStore(dialect: DialectName): Promise<{ store: Config["store"]; cleanup(): void }> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "easytask-test-"));
    return { store: { kind: "sqlite", path: join(dir, "easytask.db") }, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  }
  mariadb ??= startMariaDb();
  const server = await mariadb;
  const database = `et_${process.pid}_${++databases}`;
  const conn = await createConnection(server.url);
  await conn.query(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`);
  await conn.end();
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  return {
    store: { kind: "mysql", url: url.toString(), host: url.hostname, port: Number(url.port), user: url.username, password: "", database, queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_SEC * 1000 },
    cleanup: () => {},
  };
}

export interface TestNode extends RunningNode {
  config: Config;
}

export async function startTestNode(dialect: DialectName, overrides: Partial<Config> = {}, opts: Partial<NodeOptions> = {}): Promise<TestNode> {
  const { store, cleanup } = await freshStore(dialect);
  const config: Config = { ...defaultConfig, store, http: { host: "127.0.0.1", port: 0 }, healthCheckIntervalSec: 0.2, ...overrides };
  const log = process.env.EASYTASK_TEST_LOG ? createLogger("debug") : silentLogger;
  const node = await startNode(config, { log, drainMs: 1000, ...opts });
  return {
    ...node,
    config,
    async stop() {
      await node.stop();
      cleanup();
    },
  };
}
