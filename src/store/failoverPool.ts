import type { Pool, PoolConnection } from "mysql2";
import { isDatabaseUnavailable } from "./availability.js";

// What boundedPool needs of a pool.
export type PoolLike = Pick<Pool, "getConnection" | "end"> & { on(event: "connection", fn: (conn: PoolConnection) => void): unknown };

// One pool per host of a DSN that lists several (the members of a Galera
// cluster): connections come from the first host that gives one, in the
// order listed. A host that cannot be reached is skipped for `retryMs`, and
// the next one is asked at once; connections to a host that died fail and
// are replaced the same way, so a node whose database member died goes on
// with the next, and comes back to the first once it answers again.
export function failoverPool(pools: Pool[], retryMs: number): PoolLike {
  const downUntil = pools.map(() => 0);
  return {
    on(event, fn) {
      for (const p of pools) p.on(event, fn);
      return this;
    },
    getConnection(callback) {
      const now = performance.now();
      const up = pools.map((_, i) => i).filter((i) => downUntil[i]! <= now);
      // Every host down: ask them all again rather than fail without trying.
      const order = up.length > 0 ? up : pools.map((_, i) => i);
      const ask = (k: number) =>
        pools[order[k]!]!.getConnection((err, conn) => {
          if (!err) return callback(null, conn);
          if (!isDatabaseUnavailable(err)) return callback(err, conn);
          downUntil[order[k]!] = performance.now() + retryMs;
          if (k + 1 < order.length) ask(k + 1);
          else callback(err, conn);
        });
      ask(0);
    },
    end(callback?: (err: NodeJS.ErrnoException | null) => void) {
      let left = pools.length;
      for (const p of pools) p.end(() => --left === 0 && callback?.(null));
    },
  } as PoolLike;
}

// mysql://user:pass@h1:1,h2:2/db → one URL per host.
export function hostUrls(url: string): string[] {
  const m = /^(mysql:\/\/(?:[^/?#]*@)?)([^/?#@]*)(.*)$/i.exec(url);
  if (!m) return [url];
  return m[2]!.split(",").map((host) => m[1] + host + m[3]);
}
