import { fnv1a } from "./selectRoute.js";

// Tasks are spread over SHARD_SPACE slots by id (task.id % SHARD_SPACE); a
// cluster deals the slots out to `shards` shards like cards, shard k holding
// the slots s with s % shards == k, and each shard has one leader at a time.
// Dealt rather than cut into ranges because ids are given out in order: a
// few hundred tasks would otherwise all sit in the first shards, and the
// nodes leading those would do all the work. The slot space is fixed so that
// the shard count can change without touching a row.
export const SHARD_SPACE = 4096;

export const shardOfTask = (taskId: number, total: number) => (taskId % SHARD_SPACE) % total;

// Health checks are split by task server, over the same shards.
export const shardOfTaskServer = (taskServerId: number, total: number) => taskServerId % total;

// A member's weight for a shard: the FNV-1a of its id mixed with the shard
// (murmur3's finalizer), cheap enough for thousands of members and shards at
// every change.
function weight(memberHash: number, shard: number): number {
  let h = (memberHash ^ Math.imul(shard + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Rendezvous (highest random weight) hashing with bounded load: each shard,
// in order, goes to the member with the highest weight for it among those
// holding fewer than ceil(total / members). Every node computes the same
// answer from the same member list; every member leads about its share (3
// members: 20 to 22 of 64 shards, where the plain scheme gives anywhere from
// 11 to 34), and
// a member joining or leaving moves little more than the shards it takes or
// held (18 of 64 on average when a 4th joins 3, against 16 at the least).
// Returns each member's shards, in order; a member with none has an empty list.
export function assignShards(members: readonly string[], total: number): Map<string, number[]> {
  const ids = [...new Set(members)].sort();
  const owners = new Map<string, number[]>(ids.map((m) => [m, []]));
  if (ids.length === 0) return owners;
  const hashes = ids.map(fnv1a);
  const cap = Math.ceil(total / ids.length);
  for (let shard = 0; shard < total; shard++) {
    let best = -1;
    let bestWeight = -1;
    for (let i = 0; i < ids.length; i++) {
      if (owners.get(ids[i]!)!.length >= cap) continue;
      const w = weight(hashes[i]!, shard);
      // Ties go to the first id in order, the same on every node.
      if (w > bestWeight) [best, bestWeight] = [i, w];
    }
    owners.get(ids[best]!)!.push(shard);
  }
  return owners;
}
