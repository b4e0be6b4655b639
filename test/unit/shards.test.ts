import assert from "node:assert/strict";
import { test } from "node:test";
import { ShardSet } from "../../src/engine/shardSet.js";
import { assignShards, SHARD_SPACE, shardOfTask, slotRange, slotRanges } from "../../src/policy/shards.js";

const members = (n: number) => Array.from({ length: n }, (_, i) => `host-${1000 + i}-a1b2c${i}`);

test("shards cut the slot space into contiguous ranges, and every task id falls in exactly one", () => {
  for (const total of [1, 3, 64, 100, 4096]) {
    let next = 0;
    for (let k = 0; k < total; k++) {
      const r = slotRange(k, total);
      assert.equal(r.lo, next, `shard ${k} of ${total} starts where the previous ended`);
      assert.ok(r.hi >= r.lo);
      next = r.hi + 1;
    }
    assert.equal(next, SHARD_SPACE);
    for (const id of [0, 1, 63, 64, 2047, 2048, 4095, 4096, 123_456_789]) {
      const k = shardOfTask(id, total);
      const r = slotRange(k, total);
      assert.ok(id % SHARD_SPACE >= r.lo && id % SHARD_SPACE <= r.hi, `task ${id} in shard ${k} of ${total}`);
    }
  }
  assert.deepEqual(slotRange(3, 64), { lo: 192, hi: 255 });
});

test("neighbouring shards are merged into one range", () => {
  assert.deepEqual(slotRanges([5, 0, 1, 2], 64), [
    { lo: 0, hi: 191 },
    { lo: 320, hi: 383 },
  ]);
  assert.deepEqual(slotRanges([], 64), []);
  assert.deepEqual(slotRanges(Array.from({ length: 64 }, (_, k) => k), 64), [{ lo: 0, hi: SHARD_SPACE - 1 }]);
});

test("rendezvous hashing gives every shard to exactly one member, each about its share, the same on every node", () => {
  const m = members(3);
  const a = assignShards(m, 64);
  assert.deepEqual(assignShards([...m].reverse(), 64), a, "the order members are listed in does not matter");
  const all = [...a.values()].flat().sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 64 }, (_, k) => k));
  // At most ceil(64 / 3) = 22 each, so at least 64 - 2 * 22 = 20.
  for (const shards of a.values()) assert.ok(shards.length >= 20 && shards.length <= 22, `${shards.length} of 64`);
  assert.deepEqual(assignShards([], 64), new Map());
  assert.deepEqual([...assignShards(["only"], 4)], [["only", [0, 1, 2, 3]]]);
  assert.deepEqual([...assignShards(members(5), 3).values()].map((s) => s.length).sort(), [0, 0, 1, 1, 1], "fewer shards than members");
});

test("a member joining or leaving moves little more than the shards it takes or held", () => {
  for (let trial = 0; trial < 20; trial++) {
    const ids = Array.from({ length: 4 }, (_, i) => `node-${trial}-${i}-${(trial * 7919 + i * 104729).toString(16)}`);
    const before = assignShards(ids.slice(0, 3), 64);
    const joined = assignShards(ids, 64);
    assert.equal(joined.get(ids[3]!)!.length, 16, "the newcomer takes its share");
    const moved = [...before].reduce((n, [member, shards]) => n + shards.filter((k) => !joined.get(member)!.includes(k)).length, 0);
    assert.ok(moved >= 16 && moved <= 26, `a join moved ${moved} of 64 shards (16 at the least)`);
    const left = assignShards(ids.slice(1, 3), 64);
    const kept = [...left].reduce((n, [member, shards]) => n + shards.filter((k) => before.get(member)!.includes(k)).length, 0);
    assert.ok(kept >= 64 - 22 - 10, `after a leave the others kept ${kept} of the ${64 - before.get(ids[0]!)!.length} they led`);
  }
});

test("a shard set tells its watchers what was lost, and owns tasks and task servers by shard", () => {
  const set = new ShardSet(4);
  const lost: number[][] = [];
  set.watch((l) => lost.push(l));
  assert.equal(set.set([2, 0]), true);
  assert.equal(set.set([0, 2]), false, "the same shards: no change");
  assert.deepEqual(set.list(), [0, 2]);
  assert.deepEqual(set.slots(), [
    { lo: 0, hi: 1023 },
    { lo: 2048, hi: 3071 },
  ]);
  assert.equal(set.ownsTask(5), true);
  assert.equal(set.ownsTask(1024), false);
  assert.equal(set.ownsTask(4096 + 2048), true);
  assert.equal(set.ownsTaskServer(6), true, "task server 6 is in shard 6 % 4 = 2");
  assert.equal(set.ownsTaskServer(7), false);
  set.set([2]);
  assert.deepEqual(lost, [[], [0]]);
  assert.equal(ShardSet.all(8).size, 8);
});
