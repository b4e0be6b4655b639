import { createHash } from "node:crypto";

// Tasks are spread over SHARD_SPACE slots by id (task.id % SHARD_SPACE); a
// cluster cuts the slots into `shards` contiguous shards and each shard has
// one leader at a time. The slot space is fixed so that the shard count can
// change without touching a row.
export const SHARD_SPACE = 4096;

export interface SlotRange {
  // Inclusive bounds.
  lo: number;
  hi: number;
}

// Shard k of `total` covers slots [k*SHARD_SPACE/total, (k+1)*SHARD_SPACE/total).
export function slotRange(shard: number, total: number): SlotRange {
  return { lo: Math.floor((shard * SHARD_SPACE) / total), hi: Math.floor(((shard + 1) * SHARD_SPACE) / total) - 1 };
}

// The slots of these shards as few ranges as possible (neighbouring shards
// merged), ordered; what the store filters by.
export function slotRanges(shards: Iterable<number>, total: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  for (const k of [...new Set(shards)].sort((a, b) => a - b)) {
    const r = slotRange(k, total);
    const last = ranges.at(-1);
    if (last && last.hi + 1 === r.lo) last.hi = r.hi;
    else ranges.push(r);
  }
  return ranges;
}

// The shard a task belongs to: the inverse of slotRange, also for counts
// that do not divide SHARD_SPACE.
export function shardOfTask(taskId: number, total: number): number {
  const slot = taskId % SHARD_SPACE;
  const k = Math.floor((slot * total) / SHARD_SPACE);
  // Rounding of the floored bounds can put a slot in the next shard.
  return slot > slotRange(k, total).hi ? k + 1 : k;
}

// Health checks are split by task server, over the same shards.
export const shardOfTaskServer = (taskServerId: number, total: number) => taskServerId % total;

// A pair's weight in rendezvous hashing: the first 48 bits of a SHA-256.
function weight(member: string, shard: number): number {
  return createHash("sha256").update(`${shard}\u0000${member}`).digest().readUIntBE(0, 6);
}

// Rendezvous (highest random weight) hashing: each shard goes to the member
// with the highest weight for it. Every node computes the same answer from
// the same member list, and a member joining or leaving moves only the
// shards it wins or held (about 1/N of them). Returns each member's shards,
// in order; a member with none is there with an empty list.
export function assignShards(members: readonly string[], total: number): Map<string, number[]> {
  const owners = new Map<string, number[]>([...new Set(members)].sort().map((m) => [m, []]));
  if (owners.size === 0) return owners;
  for (let shard = 0; shard < total; shard++) {
    let best = "";
    let bestWeight = -1;
    for (const m of owners.keys()) {
      const w = weight(m, shard);
      if (w > bestWeight || (w === bestWeight && m < best)) [best, bestWeight] = [m, w];
    }
    owners.get(best)!.push(shard);
  }
  return owners;
}
