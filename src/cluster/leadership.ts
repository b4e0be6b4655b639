// Which shards this node leads. Standalone nodes lead all of them; nodes of a
// cluster share them (policy/shards.ts) and lead a shard only while they
// hold its lease. Correctness never rests on it (the database's
// compare-and-set decides every run); it only avoids wasted work.
export interface Leadership {
  // Joins the cluster as `self` and calls back with the shards this node
  // leads each time they change (empty: none); the first call may happen
  // before start() resolves.
  start(self: Member, onChange: ShardsListener): Promise<void>;
  // Stops leading at once, then lets other nodes take the shards without
  // waiting for a lease to expire.
  stop(): Promise<void>;
  // Cheap and synchronous, for readiness probes.
  state(): LeadershipState;
  // The cluster as the backend sees it now; throws when it cannot be reached.
  view(): Promise<ClusterView>;
  // Tells every node that a run (or every run of a task) was closed, so the
  // node calling it back cuts the call now rather than at its next reconcile.
  cut(cut: Cut): void;
  onCut(fn: (cut: Cut) => void): void;
}

export type ShardsListener = (shards: readonly number[]) => void;

export interface Member {
  // Unique per process, so two nodes on one host are never taken for one.
  id: string;
  // host:port of the node's API.
  address: string;
  startedAt: number;
}

export interface LeadershipState {
  // The shards led now.
  shards: readonly number[];
  // Whether this node knows which shards it may lead (a healthy node with
  // none knows it); when false, `reason` says why.
  known: boolean;
  reason: string;
}

export interface ClusterView {
  // Each with the shards it leads.
  members: (Member & { shards: number[] })[];
}

// A run closed through the API: all runs of the task when runTimes is
// undefined (the task was stopped or deleted).
export interface Cut {
  taskId: number;
  runTimes?: number;
}

export const cutKey = (c: Cut) => `${c.taskId}:${c.runTimes ?? "*"}`;

export function parseCut(key: string): Cut | undefined {
  const m = /^(\d+):(\d+|\*)$/.exec(key);
  if (!m) return undefined;
  return { taskId: Number(m[1]), ...(m[2] !== "*" && { runTimes: Number(m[2]) }) };
}

export const SHUTTING_DOWN = "shutting down";

// One node leads every shard; closed runs are cut by the node's own events.
export function standalone(shards: number): Leadership {
  const all = Array.from({ length: shards }, (_, k) => k);
  let notify: ShardsListener | undefined;
  let self: Member | undefined;
  return {
    async start(member, onChange) {
      self = member;
      notify = onChange;
      onChange(all);
    },
    async stop() {
      notify?.([]);
      notify = undefined;
    },
    state: () => (notify ? { shards: all, known: true, reason: "" } : { shards: [], known: false, reason: self ? SHUTTING_DOWN : "not started" }),
    view: async () => ({ members: self ? [{ ...self, shards: notify ? all : [] }] : [] }),
    cut: () => {},
    onCut: () => {},
  };
}
