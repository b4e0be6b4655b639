import { Etcd3, Lease, type Campaign } from "etcd3";
import type { Clock, Timer } from "../clock.js";
import type { Logger } from "../log/log.js";
import { SHUTTING_DOWN, type ClusterView, type Leadership, type Member } from "./leadership.js";

export interface EtcdLeadershipOptions {
  endpoints: string[];
  // Nodes of one cluster campaign in the same election.
  clusterName: string;
  ttlSec: number;
  log: Logger;
  clock: Clock;
}

// A request to etcd that takes longer counts as failed; streams (lease
// renewals, watches) have no deadline.
const CALL_DEADLINE_MS = 2000;
// A leader stops leading when its lease has gone this long less than its TTL
// without a renewal: etcd cannot have expired the lease yet, so no other node
// can have been elected. The lease is renewed every TTL/3, so at TTL 3 this
// tolerates one lost renewal.
export const LEASE_SAFETY_MARGIN_MS = 1000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

// One campaign on one etcd client. A lost campaign is dropped whole (client
// included) so that nothing of it (a watch, a circuit breaker left open while
// etcd was down) can act on the next one.
interface Attempt {
  client: Etcd3;
  campaign: Campaign;
  leaseId?: string;
  watchdog?: Timer;
}

// etcd3's Campaign keeps its lease private, but only the lease tells when it
// was last renewed. Fail loudly if an etcd3 upgrade moves it.
function leaseOf(campaign: Campaign): Lease {
  const lease = (campaign as unknown as { lease?: unknown }).lease;
  if (!(lease instanceof Lease)) throw new Error("this etcd3 version's Campaign has no lease; easytask needs etcd3 1.1");
  return lease;
}

function parseMember(key: string, value: string): Member {
  try {
    const m = JSON.parse(value) as { id?: unknown; address?: unknown; started_at?: unknown };
    return { id: String(m.id), address: String(m.address), startedAt: Number(m.started_at) };
  } catch {
    return { id: key, address: "", startedAt: 0 };
  }
}

// Campaigns in an etcd v3 election for as long as the node runs. It leads
// when elected and stops leading as soon as its lease is in doubt: a campaign
// error, a lost lease, or no renewal for TTL - LEASE_SAFETY_MARGIN_MS (etcd
// unreachable). Then it campaigns again with backoff. Each node also writes
// itself under members/ with the campaign's lease, so the member list is the
// nodes that are campaigning. stop() resigns so the next node is elected at
// once instead of after the TTL.
export function etcdLeadership(opts: EtcdLeadershipOptions): Leadership {
  const prefix = `easytask/${opts.clusterName}`;
  const electionName = `${prefix}/leader`;
  const giveUpMs = opts.ttlSec * 1000 - LEASE_SAFETY_MARGIN_MS;
  let self: Member | undefined;
  let attempt: Attempt | undefined;
  let stopped = false;
  let leading = false;
  // Campaigning with a live lease and registered as a member.
  let registered = false;
  let problem = "connecting to etcd";
  let retry: Timer | undefined;
  let failures = 0;
  // Leases of lost campaigns that could not be revoked (etcd was down).
  // Revoked once etcd answers again: until then they would hold this node's
  // old candidacy, and keep every node from leading for up to a TTL.
  const stale = new Set<string>();
  let notify: (leading: boolean) => void = () => {};

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    notify(value);
  };

  // Revoking ends the lease's renewals and frees the election and member
  // keys at once when etcd answers; otherwise they expire after the TTL.
  const end = async (a: Attempt) => {
    a.watchdog?.cancel();
    try {
      await a.campaign.resign();
    } catch (err) {
      if (a.leaseId) stale.add(a.leaseId);
      throw err;
    } finally {
      a.client.close();
    }
  };

  const revokeStale = (client: Etcd3) => {
    for (const id of stale) {
      client.leaseClient.leaseRevoke({ ID: id }).then(
        () => stale.delete(id),
        (err: Error) => opts.log.debug("revoking a lost campaign's lease failed", { lease: id, err }),
      );
    }
  };

  const lose = (a: Attempt, reason: string) => {
    if (attempt !== a) return;
    attempt = undefined;
    registered = false;
    problem = reason;
    setLeading(false);
    end(a).catch(() => {});
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** failures++);
    opts.log.warn("etcd campaign lost; not leading, campaigning again", { reason, retry_in_ms: backoff, endpoints: opts.endpoints });
    retry = opts.clock.timer(backoff, campaignNow);
  };

  const campaignNow = () => {
    if (stopped || !self) return;
    const me = self;
    // gRPC deadlines are wall-clock instants, whatever clock the node runs on.
    const client = new Etcd3({ hosts: opts.endpoints, defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }) });
    const campaign = client.election(electionName, opts.ttlSec).campaign(me.id);
    const a: Attempt = { client, campaign };
    attempt = a;
    // Armed before the lease is granted: the lease's TTL starts after this,
    // so giving up giveUpMs from now is early enough too.
    const renewed = () => {
      a.watchdog?.cancel();
      a.watchdog = opts.clock.timer(giveUpMs, () => lose(a, `etcd lease not renewed for ${giveUpMs} ms`));
    };
    renewed();
    const lease = leaseOf(campaign);
    lease.on("keepaliveSucceeded", renewed);
    campaign.on("error", (err: Error) => lose(a, `etcd campaign failed: ${err.message}`));
    // A resigned campaign can still announce it was elected, when the key it
    // waited for goes away; only the current one counts.
    campaign.on("elected", () => {
      if (attempt !== a) return;
      opts.log.info("elected leader", { node_id: me.id, cluster: opts.clusterName });
      setLeading(true);
    });
    // Not lease.put(): that writes inside the election's key space, where
    // the member key would stand as a candidate.
    lease
      .grant()
      .then((leaseId) => {
        a.leaseId = leaseId;
        return client
          .put(`${prefix}/members/${me.id}`)
          .value(JSON.stringify({ id: me.id, address: me.address, started_at: me.startedAt }))
          .lease(leaseId);
      })
      .then(() => {
        if (attempt !== a) return;
        registered = true;
        failures = 0;
        revokeStale(client);
        opts.log.info("campaigning for leadership on etcd", { node_id: me.id, cluster: opts.clusterName });
      })
      .catch((err: Error) => lose(a, `etcd unreachable: ${err.message}`));
  };

  return {
    async start(member, onChange) {
      self = member;
      notify = onChange;
      campaignNow();
    },
    async stop() {
      stopped = true;
      retry?.cancel();
      setLeading(false);
      const a = attempt;
      attempt = undefined;
      registered = false;
      if (!a) return;
      // Past the TTL the lease is gone anyway: do not hold the shutdown longer.
      const resigned = new AbortController();
      await Promise.race([end(a), opts.clock.sleep(opts.ttlSec * 1000, resigned.signal)])
        .catch((err: Error) => opts.log.warn("resigning leadership failed; the lease expires after its TTL", { err }))
        .finally(() => resigned.abort());
    },
    state() {
      if (stopped) return { leading: false, known: false, reason: SHUTTING_DOWN };
      return registered ? { leading, known: true, reason: "" } : { leading, known: false, reason: problem };
    },
    async view(): Promise<ClusterView> {
      const a = attempt;
      if (!a) throw new Error(problem);
      const [leaderId, members] = await Promise.all([
        a.client.election(electionName).leader(),
        a.client.getAll().prefix(`${prefix}/members/`).strings(),
      ]);
      return { leaderId, members: Object.entries(members).map(([key, value]) => parseMember(key, value)) };
    },
  };
}
