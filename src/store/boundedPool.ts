import type { PoolConnection, QueryError } from "mysql2";
import type { MysqlPool, MysqlPoolConnection } from "kysely";
import { DatabaseTimeout } from "./availability.js";
import type { PoolLike } from "./failoverPool.js";

// A MySQL pool for Kysely on which nothing waits forever: a server that
// accepts connections but never answers (hung, frozen, a half-open network
// path) must not stall the API, the scheduler or shutdown.
//
// - Taking a connection from the pool fails after the limit (mysql2's pool
//   has no such timeout: a caller would queue behind stuck connections).
// - Every query carries mysql2's own `timeout`. mysql2 reports it but keeps
//   the connection, whose next command would queue behind the unanswered
//   one; so a connection whose query timed out is destroyed, never reused.
// - Closing gives the server the limit to answer the goodbyes, then cuts
//   the sockets.
//
// `limitMs()` is read at each use: 0 means no limit (migrations, which may
// legitimately run long on big tables).
export interface BoundedPool extends MysqlPool {
  close(): Promise<void>;
}

const QUERY_TIMED_OUT = "PROTOCOL_SEQUENCE_TIMEOUT";

export function boundedPool(pool: PoolLike, limitMs: () => number): BoundedPool {
  const open = new Set<PoolConnection>();
  pool.on("connection", (conn) => {
    open.add(conn);
    socketOf(conn).once("close", () => open.delete(conn));
  });
  const wrapped = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrap = (conn: PoolConnection): MysqlPoolConnection => {
    let w = wrapped.get(conn);
    if (!w) {
      w = {
        query: ((sql: string, parameters: unknown[], callback?: (err: unknown, result: never) => void) => {
          const ms = limitMs();
          const options = ms > 0 ? { sql, timeout: ms } : { sql };
          if (!callback) return conn.query(options, parameters);
          conn.query(options, parameters, (err: QueryError | null, result: unknown) => {
            if (err?.code === QUERY_TIMED_OUT) destroy(conn);
            callback(err, result as never);
          });
        }) as MysqlPoolConnection["query"],
        release: () => conn.release(),
      };
      wrapped.set(conn, w);
    }
    return w;
  };
  return {
    getConnection(callback) {
      const ms = limitMs();
      let settled = false;
      const timer =
        ms > 0 &&
        setTimeout(() => {
          settled = true;
          callback(new DatabaseTimeout(`no database connection within ${ms} ms`), undefined as never);
        }, ms);
      pool.getConnection((err, conn) => {
        if (settled) {
          // Came too late for its caller; it is fine for the next one.
          if (!err) conn.release();
          return;
        }
        settled = true;
        if (timer) clearTimeout(timer);
        if (err) callback(err, undefined as never);
        else callback(null, wrap(conn));
      });
    },
    end(callback) {
      pool.end(callback);
    },
    async close() {
      const ended = new Promise<void>((resolve) => pool.end(() => resolve()));
      const ms = limitMs();
      if (ms === 0) return ended;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ms)));
      const cut = await Promise.race([ended.then(() => false), late]);
      clearTimeout(timer);
      if (cut) for (const conn of open) destroy(conn);
    },
  };
}

// Out of the pool, and its socket closed now rather than after a goodbye
// the server may never read.
function destroy(conn: PoolConnection): void {
  conn.destroy();
  socketOf(conn).destroy();
}

// mysql2's connections have it, but its typings leave it out.
const socketOf = (conn: PoolConnection) => (conn as unknown as { stream: import("node:net").Socket }).stream;
