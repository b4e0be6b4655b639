import { Etcd3, type Campaign } from "etcd3";
import type { Logger } from "../log.js";
import type { Leadership } from "./leadership.js";

export interface EtcdLeadershipOptions {
  endpoints: string[];
  // Nodes of one cluster campaign in the same election.
  clusterName: string;
  nodeId: string;
  ttlSec: number;
  log: Logger;
  // Longest wait between campaigns while etcd is unreachable.
  maxBackoffMs?: number;
}

// Campaigns in an etcd v3 election for as long as the node runs: leads when
// elected, stops leading on any campaign error (lease lost, etcd gone) and
// campaigns again with backoff. stop() resigns so the next node is elected
// at once instead of after the lease's TTL.
export function etcdLeadership(opts: EtcdLeadershipOptions): Leadership {
  const client = new Etcd3({ hosts: opts.endpoints });
  const election = client.election(`easytask/${opts.clusterName}/leader`, opts.ttlSec);
  let campaign: Campaign | undefined;
  let stopped = false;
  let leading = false;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;
  let notify: (leading: boolean) => void = () => {};

  const setLeading = (value: boolean) => {
    if (value === leading) return;
    leading = value;
    notify(value);
  };

  const campaignNow = () => {
    if (stopped) return;
    const current = election.campaign(opts.nodeId);
    campaign = current;
    current.on("elected", () => {
      failures = 0;
      opts.log.info("elected leader", { node_id: opts.nodeId, cluster: opts.clusterName });
      setLeading(true);
    });
    current.on("error", (err: Error) => {
      if (campaign !== current) return;
      setLeading(false);
      campaign = undefined;
      const backoff = Math.min(opts.maxBackoffMs ?? 10_000, 250 * 2 ** failures++);
      opts.log.warn("etcd campaign failed; not leading, campaigning again", { err: err.message, retry_in_ms: backoff });
      retry = setTimeout(campaignNow, backoff);
    });
  };

  return {
    async start(onChange) {
      notify = onChange;
      campaignNow();
    },
    async stop() {
      stopped = true;
      clearTimeout(retry);
      setLeading(false);
      const current = campaign;
      campaign = undefined;
      if (current) await current.resign().catch((err: Error) => opts.log.warn("resigning leadership failed", { err: err.message }));
      client.close();
    },
  };
}
