import { Redis } from "ioredis";
import type { Clock, Timer } from "../clock.js";
import type { RedisNode } from "../config/config.js";
import type { Logger } from "../log/log.js";
import { SHUTTING_DOWN, type Leadership, type Member } from "./leadership.js";

export interface RedisLeadershipOptions {
  node: RedisNode;
  // Nodes of one cluster contend for the same key.
  clusterName: string;
  ttlMs: number;
  log: Logger;
  clock: Clock;
}

export const redisLeaderKey = (clusterName: string) => `easytask:${clusterName}:leader`;
const memberKey = (clusterName: string, id: string) => `easytask:${clusterName}:members:${id}`;

// Both compare the token first, so a node whose lease expired (and was
// perhaps taken by another) can neither extend nor delete the new lease.
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

// Holds a leader lease on one Redis: `SET key token NX PX ttl` to take it,
// a compare-and-pexpire every ttl/3 to keep it, a compare-and-del on stop().
//
// Redis starts the lease's TTL when it runs the command, which is after this
// node sent it, so "sent at + ttl" is a lower bound of the lease's end. The
// node stops leading at "sent at + 3/4 ttl" of its last successful renewal
// unless a later one succeeded: with ttl 3 s, renewals are sent every second
// and time out after 500 ms, so one renewal may fail and the next still keeps
// the lease; after two failures in a row the node steps down with 750 ms left
// for a late timer and clock rate differences before another node could take
// the key. A renewal answering 0 (the key expired or is someone else's)
// stops leading at once.
export function redisLeadership(opts: RedisLeadershipOptions): Leadership {
  const { ttlMs, log, clock } = opts;
  const key = redisLeaderKey(opts.clusterName);
  const renewEveryMs = Math.floor(ttlMs / 3);
  const leadForMs = ttlMs - Math.floor(ttlMs / 4);
  const client = new Redis({
    host: opts.node.host,
    port: opts.node.port,
    ...(opts.node.password !== "" && { password: opts.node.password }),
    // A lease command is only worth sending now: queued while disconnected or
    // resent after a reconnect, it would take or extend a lease this node no
    // longer counts on.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: Math.floor(renewEveryMs / 2),
    connectTimeout: renewEveryMs,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, renewEveryMs),
  });
  let stopped = false;
  let leading = false;
  let giveUp: Timer | undefined;
  let wake = () => {};
  let notify: (leading: boolean) => void = () => {};
  let reachable = true;
  // The lease's value is the node id: unique per process, so no node can
  // renew or release a lease another one holds.
  let self: Member = { id: "", address: "", startedAt: 0 };

  client.on("error", (err: Error) => {
    if (!reachable) return;
    reachable = false;
    log.warn("redis unreachable", { redis: `${opts.node.host}:${opts.node.port}`, err });
  });
  client.on("ready", () => {
    if (!reachable) log.info("redis reachable again", { redis: `${opts.node.host}:${opts.node.port}` });
    reachable = true;
    if (!leading) wake();
  });

  const lose = (reason: string) => {
    giveUp?.cancel();
    if (!leading) return;
    leading = false;
    log.warn("lost leadership", { node_id: self.id, cluster: opts.clusterName, reason });
    notify(false);
  };

  // The lease is ours as of a command sent at sentAt.
  const held = (sentAt: number) => {
    const remaining = sentAt + leadForMs - clock.monotonic();
    if (stopped || remaining <= 0) return;
    giveUp?.cancel();
    giveUp = clock.timer(remaining, () => lose("lease not renewed in time"));
    if (leading) return;
    leading = true;
    log.info("elected leader", { node_id: self.id, cluster: opts.clusterName });
    notify(true);
  };

  // Returns when the command was sent, so renewals keep a fixed rate.
  const step = async (): Promise<number> => {
    const sentAt = clock.monotonic();
    try {
      // Membership for GetCluster: expires unless refreshed, like the lease.
      void client.set(memberKey(opts.clusterName, self.id), JSON.stringify(self), "PX", ttlMs).catch(() => {});
      if (leading) {
        if ((await client.eval(RENEW, 1, key, self.id, ttlMs)) === 1) held(sentAt);
        else lose("lease expired or taken by another node");
      } else if ((await client.set(key, self.id, "PX", ttlMs, "NX")) === "OK") {
        held(sentAt);
      }
    } catch (err) {
      // Leading continues until the give-up timer, which a later renewal may
      // still push back.
      log.debug("redis lease command failed", { err, leading });
    }
    return sentAt;
  };

  const pause = (ms: number) => {
    const woken = new AbortController();
    wake = () => woken.abort();
    return clock.sleep(ms, woken.signal);
  };

  let loop: Promise<void> = Promise.resolve();
  return {
    async start(member, onChange) {
      self = member;
      notify = onChange;
      loop = (async () => {
        while (!stopped) {
          const sentAt = await step();
          if (!stopped) await pause(Math.max(0, sentAt + renewEveryMs - clock.monotonic()));
        }
      })();
    },
    async stop() {
      stopped = true;
      giveUp?.cancel();
      if (leading) {
        leading = false;
        notify(false);
        log.info("resigning leadership", { node_id: self.id, cluster: opts.clusterName });
      }
      wake();
      // No command may be in flight once the lease is released, or a late
      // SET could take it again.
      await loop;
      await client.eval(RELEASE, 1, key, self.id).catch((err: Error) => log.warn("releasing the redis lease failed", { err }));
      await client.del(memberKey(opts.clusterName, self.id)).catch(() => {});
      client.disconnect();
    },
    state: () =>
      stopped
        ? { leading: false, known: false, reason: SHUTTING_DOWN }
        : { leading, known: reachable, reason: reachable ? "" : `redis ${opts.node.host}:${opts.node.port} unreachable` },
    async view() {
      const leaderId = (await client.get(key)) ?? undefined;
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, found] = await client.scan(cursor, "MATCH", memberKey(opts.clusterName, "*"), "COUNT", 100);
        [cursor] = [next];
        keys.push(...found);
      } while (cursor !== "0");
      const values = keys.length > 0 ? await client.mget(...keys) : [];
      const members = values.filter((v: string | null): v is string => v !== null).map((v: string) => JSON.parse(v) as Member);
      return { leaderId, members };
    },
  };
}
