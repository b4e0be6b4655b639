import { Redis, type RedisOptions } from "ioredis";
import type { Clock, Timer } from "../clock.js";
import type { RedisNode } from "../config/config.js";
import type { Logger } from "../log/log.js";
import { assignShards } from "../policy/shards.js";
import { SHUTTING_DOWN, cutKey, parseCut, type Cut, type Leadership, type Member, type ShardsListener } from "./leadership.js";

export interface RedisLeadershipOptions {
  node: RedisNode;
  // Nodes of one cluster share the shards.
  clusterName: string;
  ttlMs: number;
  // The cluster's shard count (the same on every node).
  shards: number;
  log: Logger;
  clock: Clock;
}

export const redisShardKey = (clusterName: string, shard: number) => `easytask:${clusterName}:shard:${shard}`;
const memberKey = (clusterName: string, id: string) => `easytask:${clusterName}:members:${id}`;
const eventsChannel = (clusterName: string) => `easytask:${clusterName}:events`;
// Messages on the events channel.
const MEMBERS_CHANGED = "members";
const CUT = "cut:";

// Both compare the token first, so a node whose lease expired (and was
// perhaps taken by another) can neither extend nor delete the new lease.
const RENEW = `local out = {}
for i, key in ipairs(KEYS) do
  if redis.call("get", key) == ARGV[1] then out[i] = redis.call("pexpire", key, ARGV[2]) else out[i] = 0 end
end
return out`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

// A lease per shard on one Redis: `SET key token NX PX ttl` to take it, a
// compare-and-pexpire every ttl/3 to keep it, a compare-and-del to free it.
// Each node refreshes its member key at the same pace, reads the members and
// computes the same assignment as every other node (rendezvous hashing); it
// frees the shards given to others (having stopped claiming for them) and
// takes the ones given to it once they are free. A node joining or leaving
// says so on the cluster's channel, so the others look at once.
//
// Redis starts a lease's TTL when it runs the command, which is after this
// node sent it, so "sent at + ttl" is a lower bound of the lease's end. The
// node stops leading at "sent at + 3/4 ttl" of its last successful renewal
// unless a later one succeeded: with ttl 3 s, renewals are sent every second
// and time out after 500 ms, so one renewal may fail and the next still keeps
// the leases; after two failures in a row the node steps down with 750 ms
// left for a late timer and clock rate differences before another node could
// take a key. A renewal that finds a key gone or someone else's drops that
// shard at once.
export function redisLeadership(opts: RedisLeadershipOptions): Leadership {
  const { ttlMs, log, clock, clusterName } = opts;
  const renewEveryMs = Math.floor(ttlMs / 3);
  const leadForMs = ttlMs - Math.floor(ttlMs / 4);
  const where = `${opts.node.host}:${opts.node.port}`;
  const connection: RedisOptions = {
    host: opts.node.host,
    port: opts.node.port,
    ...(opts.node.password !== "" && { password: opts.node.password }),
    connectTimeout: renewEveryMs,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, renewEveryMs),
  };
  const client = new Redis({
    ...connection,
    // A lease command is only worth sending now: queued while disconnected or
    // resent after a reconnect, it would take or extend a lease this node no
    // longer counts on.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: Math.floor(renewEveryMs / 2),
  });
  // A connection in subscriber mode serves nothing else.
  const subscriber = new Redis({ ...connection, lazyConnect: true });
  let stopped = false;
  const held = new Set<number>();
  let led: number[] = [];
  let giveUp: Timer | undefined;
  let wake = () => {};
  let notify: ShardsListener = () => {};
  let reachable = true;
  const cutWatchers: ((cut: Cut) => void)[] = [];
  // The leases' value is the node id: unique per process, so no node can
  // renew or free a lease another one holds.
  let self: Member = { id: "", address: "", startedAt: 0 };
  const keyOf = (k: number) => redisShardKey(clusterName, k);

  client.on("error", (err: Error) => {
    if (!reachable) return;
    reachable = false;
    log.warn("redis unreachable", { redis: where, err });
  });
  client.on("ready", () => {
    if (!reachable) log.info("redis reachable again", { redis: where });
    reachable = true;
    wake();
  });
  subscriber.on("error", () => {});
  subscriber.on("message", (_channel: string, message: string) => {
    if (message === MEMBERS_CHANGED) return wake();
    const cut = message.startsWith(CUT) ? parseCut(message.slice(CUT.length)) : undefined;
    if (cut) for (const fn of cutWatchers) fn(cut);
  });

  const publish = () => {
    const next = [...held].sort((a, b) => a - b);
    if (next.length === led.length && next.every((k, i) => k === led[i])) return;
    led = next;
    notify(next);
  };

  const drop = (shards: number[], reason: string) => {
    if (shards.length === 0) return;
    for (const k of shards) held.delete(k);
    log.warn("lost shards", { node_id: self.id, cluster: clusterName, shards, reason });
    publish();
  };

  // The leases held are ours as of commands sent at sentAt.
  const heldSince = (sentAt: number) => {
    const remaining = sentAt + leadForMs - clock.monotonic();
    if (remaining <= 0) return drop([...held], "leases not renewed in time");
    giveUp?.cancel();
    giveUp = clock.timer(remaining, () => drop([...held], "leases not renewed in time"));
  };

  const liveMembers = async (): Promise<Member[]> => {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", memberKey(clusterName, "*"), "COUNT", 100);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    const values = keys.length > 0 ? await client.mget(...keys) : [];
    return values.filter((v: string | null): v is string => v !== null).map((v: string) => JSON.parse(v) as Member);
  };

  // Returns when the commands were sent, so renewals keep a fixed rate.
  const step = async (): Promise<number> => {
    const sentAt = clock.monotonic();
    try {
      // Membership: expires unless refreshed, like the leases.
      await client.set(memberKey(clusterName, self.id), JSON.stringify(self), "PX", ttlMs);
      const mine = [...held];
      if (mine.length > 0) {
        const renewed = (await client.eval(RENEW, mine.length, ...mine.map(keyOf), self.id, ttlMs)) as number[];
        drop(mine.filter((_, i) => renewed[i] !== 1), "lease expired or taken by another node");
        if (held.size > 0) heldSince(sentAt);
      }
      const members = await liveMembers();
      const wanted = new Set(assignShards(members.map((m) => m.id), opts.shards).get(self.id) ?? []);
      const release = [...held].filter((k) => !wanted.has(k));
      if (release.length > 0) {
        // Stop claiming first, then free the keys.
        for (const k of release) held.delete(k);
        publish();
        await Promise.all(release.map((k) => client.eval(RELEASE, 1, keyOf(k), self.id)));
      }
      const take = [...wanted].filter((k) => !held.has(k));
      const taken = await Promise.all(take.map((k) => client.set(keyOf(k), self.id, "PX", ttlMs, "NX")));
      take.forEach((k, i) => taken[i] === "OK" && held.add(k));
      if (held.size > 0) heldSince(sentAt);
      publish();
    } catch (err) {
      // Leading goes on until the give-up timer, which a later renewal may
      // still push back.
      log.debug("redis lease command failed", { err, shards: held.size });
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
      subscriber
        .connect()
        .then(() => subscriber.subscribe(eventsChannel(clusterName)))
        .then(() => client.publish(eventsChannel(clusterName), MEMBERS_CHANGED))
        .catch((err: Error) => log.warn("redis: subscribing to the cluster's channel failed; changes are seen at the next renewal", { err }));
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
      const mine = [...held];
      held.clear();
      publish();
      if (mine.length > 0) log.info("freeing shards", { node_id: self.id, cluster: clusterName, shards: mine.length });
      wake();
      // No command may be in flight once the leases are freed, or a late
      // SET could take one again.
      await loop;
      await Promise.all(mine.map((k) => client.eval(RELEASE, 1, keyOf(k), self.id))).catch((err: Error) => log.warn("freeing the redis leases failed", { err }));
      await client.del(memberKey(clusterName, self.id)).catch(() => {});
      await client.publish(eventsChannel(clusterName), MEMBERS_CHANGED).catch(() => {});
      client.disconnect();
      subscriber.disconnect();
    },
    state: () => (stopped ? { shards: [], known: false, reason: SHUTTING_DOWN } : { shards: led, known: reachable, reason: reachable ? "" : `redis ${where} unreachable` }),
    async view() {
      const members = await liveMembers();
      const owners = await client.mget(...Array.from({ length: opts.shards }, (_, k) => keyOf(k)));
      return { members: members.map((m) => ({ ...m, shards: owners.flatMap((id, k) => (id === m.id ? [k] : [])) })) };
    },
    cut(cut) {
      client.publish(eventsChannel(clusterName), CUT + cutKey(cut)).catch((err: Error) => log.warn("redis: announcing a closed run failed; its callback is cut at the next reconcile", { err }));
    },
    onCut(fn) {
      cutWatchers.push(fn);
    },
  };
}
