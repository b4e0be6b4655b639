// Whether this node may schedule. Standalone nodes always may; an elected
// node only while it holds the lease. Correctness never rests on it (the
// database's compare-and-set decides every run); it only avoids wasted work.
export interface Leadership {
  // Joins the cluster as `self` and calls back with true when this node
  // starts leading and false when it stops; the first call may happen before
  // start() resolves.
  start(self: Member, onChange: (leading: boolean) => void): Promise<void>;
  // Stops leading at once, then lets another node lead without waiting for a
  // lease to expire.
  stop(): Promise<void>;
  // Cheap and synchronous, for readiness probes.
  state(): LeadershipState;
  // The cluster as the election backend sees it now; throws when it cannot
  // be reached.
  view(): Promise<ClusterView>;
}

export interface Member {
  // Unique per process, so two nodes on one host are never taken for one.
  id: string;
  // host:port of the node's API.
  address: string;
  startedAt: number;
}

export interface LeadershipState {
  leading: boolean;
  // Whether this node knows if it may lead (a healthy follower knows it may
  // not); when false, `reason` says why.
  known: boolean;
  reason: string;
}

export interface ClusterView {
  leaderId: string | undefined;
  members: Member[];
}

export const SHUTTING_DOWN = "shutting down";

export function standalone(): Leadership {
  let notify: ((leading: boolean) => void) | undefined;
  let self: Member | undefined;
  return {
    async start(member, onChange) {
      self = member;
      notify = onChange;
      onChange(true);
    },
    async stop() {
      notify?.(false);
      notify = undefined;
    },
    state: () => (notify ? { leading: true, known: true, reason: "" } : { leading: false, known: false, reason: self ? SHUTTING_DOWN : "not started" }),
    view: async () => ({ leaderId: notify ? self?.id : undefined, members: self ? [self] : [] }),
  };
}
