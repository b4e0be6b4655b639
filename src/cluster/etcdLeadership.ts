import { Etcd3, type IKeyValue, type Lease, type Watcher } from "etcd3";
import type { Clock, Timer } from "../clock.js";
import type { Logger } from "../log/log.js";
import { assignShards } from "../policy/shards.js";
import { SHUTTING_DOWN, parseCut, cutKey, type Cut, type ClusterView, type Leadership, type Member, type ShardsListener } from "./leadership.js";

export interface EtcdLeadershipOptions {
  endpoints: string[];
  // Nodes of one cluster share the shards.
  clusterName: string;
  ttlSec: number;
  // The cluster's shard count (the same on every node).
  shards: number;
  log: Logger;
  clock: Clock;
}

// A request to etcd that takes longer counts as failed; streams (lease
// renewals, watches) have no deadline.
const CALL_DEADLINE_MS = 2000;
// A node stops leading its shards when its lease has gone this long less
// than its TTL without a renewal: etcd cannot have expired the lease yet, so
// no other node can have taken them. The lease is renewed every TTL/3, so at
// TTL 3 this tolerates one lost renewal.
export const LEASE_SAFETY_MARGIN_MS = 1000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

// One lease and everything held with it. A lost session is dropped whole
// (client included) so that nothing of it (a watch, a circuit breaker left
// open while etcd was down) can act on the next one.
interface Session {
  client: Etcd3;
  lease: Lease;
  leaseId?: string;
  watcher?: Watcher;
  watchdog?: Timer;
  members: Map<string, Member>;
  // Who holds each shard key: node id and lease.
  owners: Map<number, { id: string; lease: string }>;
  // The shards this session holds; what the node leads.
  held: Set<number>;
  reconciling?: Promise<void>;
  again: boolean;
}

function parseMember(key: string, value: string): Member {
  try {
    const m = JSON.parse(value) as { id?: unknown; address?: unknown; started_at?: unknown };
    return { id: String(m.id), address: String(m.address), startedAt: Number(m.started_at) };
  } catch {
    return { id: key, address: "", startedAt: 0 };
  }
}

// Shard leadership on etcd. Each node holds one lease (TTL etcd.lease_ttl_sec,
// renewed every TTL/3) and, with it, its member key and one key per shard it
// leads. Every node watches the members and the shard keys and computes the
// same assignment (rendezvous hashing over the live members): it takes a
// shard given to it with a create-if-absent transaction once the key is free,
// and gives up a shard given to another node by deleting its key, having
// stopped claiming for it first. A node killed loses its keys when its lease
// expires; one stopping revokes its lease, so its shards are free at once. A
// node whose lease has gone TTL - 1 s without a renewal stops leading every
// shard, before etcd can expire the lease, and starts a new session with
// backoff.
export function etcdLeadership(opts: EtcdLeadershipOptions): Leadership {
  const prefix = `easytask/${opts.clusterName}`;
  const membersPrefix = `${prefix}/members/`;
  const shardsPrefix = `${prefix}/shards/`;
  const cutsPrefix = `${prefix}/cuts/`;
  const giveUpMs = opts.ttlSec * 1000 - LEASE_SAFETY_MARGIN_MS;
  let self: Member | undefined;
  let session: Session | undefined;
  let stopped = false;
  // Registered as a member with a live lease and watching.
  let registered = false;
  let problem = "connecting to etcd";
  let retry: Timer | undefined;
  let failures = 0;
  let led: number[] = [];
  // Leases of lost sessions that could not be revoked (etcd was down). Revoked
  // once etcd answers again: until then their shard keys would keep every
  // node from taking those shards for up to a TTL.
  const stale = new Set<string>();
  let notify: ShardsListener = () => {};
  const cutWatchers: ((cut: Cut) => void)[] = [];

  const publish = (s: Session | undefined) => {
    const next = s ? [...s.held].sort((a, b) => a - b) : [];
    if (next.length === led.length && next.every((k, i) => k === led[i])) return;
    led = next;
    notify(next);
  };

  const end = async (s: Session) => {
    s.watchdog?.cancel();
    try {
      await s.watcher?.cancel();
      await s.lease.revoke();
    } catch (err) {
      if (s.leaseId) stale.add(s.leaseId);
      throw err;
    } finally {
      s.client.close();
    }
  };

  const revokeStale = (client: Etcd3) => {
    for (const id of stale) {
      client.leaseClient.leaseRevoke({ ID: id }).then(
        () => stale.delete(id),
        (err: Error) => opts.log.debug("revoking a lost session's lease failed", { lease: id, err }),
      );
    }
  };

  const lose = (s: Session, reason: string) => {
    if (session !== s) return;
    session = undefined;
    registered = false;
    problem = reason;
    s.held.clear();
    publish(undefined);
    end(s).catch(() => {});
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** failures++);
    opts.log.warn("etcd session lost; leading no shard, joining again", { reason, retry_in_ms: backoff, endpoints: opts.endpoints });
    retry = opts.clock.timer(backoff, join);
  };

  const shardOf = (key: string) => Number(key.slice(shardsPrefix.length));

  const apply = (s: Session, kind: "put" | "delete", kv: IKeyValue) => {
    const key = kv.key.toString();
    if (key.startsWith(membersPrefix)) {
      const id = key.slice(membersPrefix.length);
      if (kind === "put") s.members.set(id, parseMember(id, kv.value.toString()));
      else s.members.delete(id);
    } else if (key.startsWith(shardsPrefix)) {
      const k = shardOf(key);
      if (kind === "put") s.owners.set(k, { id: kv.value.toString(), lease: String(kv.lease) });
      else s.owners.delete(k);
    } else if (key.startsWith(cutsPrefix) && kind === "put") {
      const cut = parseCut(key.slice(cutsPrefix.length));
      if (cut) for (const fn of cutWatchers) fn(cut);
    }
  };

  // Takes the shards the assignment gives this node once they are free, and
  // frees the ones it gives to others. One pass at a time; changes seen
  // meanwhile make another pass.
  const reconcile = (s: Session) => {
    if (s.reconciling) return void (s.again = true);
    s.reconciling = (async () => {
      do {
        s.again = false;
        const me = self!.id;
        const wanted = new Set(assignShards([...s.members.keys()], opts.shards).get(me) ?? []);
        const release = [...s.held].filter((k) => !wanted.has(k));
        if (release.length > 0) {
          // Stop claiming first, then free the keys.
          for (const k of release) s.held.delete(k);
          publish(s);
          await Promise.all(
            release.map((k) =>
              s.client
                .if(shardsPrefix + k, "Lease", "==", s.leaseId!)
                .then(s.client.delete().key(shardsPrefix + k))
                .commit(),
            ),
          );
        }
        const take = [...wanted].filter((k) => !s.held.has(k) && !s.owners.has(k));
        const won = await Promise.all(
          take.map(async (k) => {
            const key = shardsPrefix + k;
            const r = await s.client.if(key, "Create", "==", 0).then(s.client.put(key).value(me).lease(s.leaseId!)).commit();
            return r.succeeded ? k : undefined;
          }),
        );
        if (session !== s) return;
        for (const k of won) if (k !== undefined) s.held.add(k);
        publish(s);
        // A key of this node under an older lease (a lost session's): free it.
        for (const [k, o] of s.owners) if (o.id === me && o.lease !== s.leaseId && wanted.has(k)) stale.add(o.lease);
        if (stale.size > 0) revokeStale(s.client);
      } while (s.again && session === s);
    })()
      .catch((err: Error) => opts.log.warn("etcd: taking or freeing shards failed; trying again at the next change", { err }))
      .finally(() => {
        s.reconciling = undefined;
        if (s.again && session === s) reconcile(s);
      });
  };

  const join = () => {
    if (stopped || !self) return;
    const me = self;
    // gRPC deadlines are wall-clock instants, whatever clock the node runs on.
    const client = new Etcd3({ hosts: opts.endpoints, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }) });
    const lease = client.lease(opts.ttlSec);
    const s: Session = { client, lease, members: new Map(), owners: new Map(), held: new Set(), again: false };
    session = s;
    // Armed before the lease is granted: the lease's TTL starts after this,
    // so giving up giveUpMs from now is early enough too.
    const renewed = () => {
      s.watchdog?.cancel();
      s.watchdog = opts.clock.timer(giveUpMs, () => lose(s, `etcd lease not renewed for ${giveUpMs} ms`));
    };
    renewed();
    lease.on("keepaliveSucceeded", renewed);
    lease.on("lost", (err: Error) => lose(s, `etcd lease lost: ${err.message}`));
    (async () => {
      s.leaseId = await lease.grant();
      await client
        .put(membersPrefix + me.id)
        .value(JSON.stringify({ id: me.id, address: me.address, started_at: me.startedAt }))
        .lease(s.leaseId);
      // The state as of one revision, then every change after it.
      const now = await client.getAll().prefix(`${prefix}/`).exec();
      for (const kv of now.kvs) apply(s, "put", kv);
      const watcher = await client
        .watch()
        .prefix(`${prefix}/`)
        .startRevision(String(Number(now.header.revision) + 1))
        .create();
      s.watcher = watcher;
      if (session !== s) return void watcher.cancel();
      const changed = (kind: "put" | "delete") => (kv: IKeyValue) => {
        if (session !== s) return;
        apply(s, kind, kv);
        if (!kv.key.toString().startsWith(cutsPrefix)) reconcile(s);
      };
      watcher.on("put", changed("put"));
      watcher.on("delete", changed("delete"));
      registered = true;
      failures = 0;
      revokeStale(client);
      opts.log.info("joined the cluster on etcd", { node_id: me.id, cluster: opts.clusterName, members: s.members.size });
      reconcile(s);
    })().catch((err: Error) => lose(s, `etcd unreachable: ${err.message}`));
  };

  return {
    async start(member, onChange) {
      self = member;
      notify = onChange;
      join();
    },
    async stop() {
      stopped = true;
      retry?.cancel();
      const s = session;
      session = undefined;
      registered = false;
      publish(undefined);
      if (!s) return;
      // Past the TTL the lease is gone anyway: do not hold the shutdown longer.
      const revoked = new AbortController();
      await Promise.race([end(s), opts.clock.sleep(opts.ttlSec * 1000, revoked.signal)])
        .catch((err: Error) => opts.log.warn("revoking the etcd lease failed; its shards are free after its TTL", { err }))
        .finally(() => revoked.abort());
    },
    state() {
      if (stopped) return { shards: [], known: false, reason: SHUTTING_DOWN };
      return registered ? { shards: led, known: true, reason: "" } : { shards: led, known: false, reason: problem };
    },
    async view(): Promise<ClusterView> {
      const s = session;
      if (!s || !registered) throw new Error(problem);
      const shardsOf = new Map<string, number[]>();
      for (const [k, o] of [...s.owners].sort((a, b) => a[0] - b[0])) shardsOf.set(o.id, [...(shardsOf.get(o.id) ?? []), k]);
      return { members: [...s.members.values()].map((m) => ({ ...m, shards: shardsOf.get(m.id) ?? [] })) };
    },
    cut(cut) {
      const s = session;
      if (!s?.leaseId) return;
      // Watchers see the put; the key is gone again at once.
      const key = cutsPrefix + cutKey(cut);
      s.client
        .put(key)
        .value("")
        .lease(s.leaseId)
        .then(() => s.client.delete().key(key))
        .catch((err: Error) => opts.log.warn("etcd: announcing a closed run failed; its callback is cut at the next reconcile", { err }));
    },
    onCut(fn) {
      cutWatchers.push(fn);
    },
  };
}
