import assert from "node:assert/strict";
import { test } from "node:test";
import { ShardSet } from "../../src/engine/shardSet.js";
import { assignShards, SHARD_SPACE, shardOfTask } from "../../src/policy/shards.js";

const members = (n: number) => Array.from({ length: n }, (_, i) => `host-${1000 + i}-a1b2c${i}`);

test("shards deal the slots out in turn, so tasks added one after another spread over every shard", () => {
  assert.equal(shardOfTask(0, 64), 0);
  assert.equal(shardOfTask(65, 64), 1);
  assert.equal(shardOfTask(SHARD_SPACE + 3, 64), 3, "a task's shard is its slot's");
  assert.equal(shardOfTask(4095, 100), 4095 % 100, "counts that do not divide the slot space work too");
  // 300 tasks with ids in order (Galera hands them out 3 apart): every
  // shard gets 4 or 5 of them.
  const perShard = new Map<number, number>();
  for (let i = 0; i < 300; i++) perShard.set(shardOfTask(1 + 3 * i, 64), (perShard.get(shardOfTask(1 + 3 * i, 64)) ?? 0) + 1);
  assert.equal(perShard.size, 64);
  assert.ok([...perShard.values()].every((n) => n >= 4 && n <= 5));
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
  assert.deepEqual(set.filter(), { total: 4, led: [0, 2] });
  assert.equal(set.ownsTask(4), true);
  assert.equal(set.ownsTask(5), false);
  assert.equal(set.ownsTask(4096 + 2), true);
  assert.equal(set.ownsTaskServer(6), true, "task server 6 is in shard 6 % 4 = 2");
  assert.equal(set.ownsTaskServer(7), false);
  set.set([2]);
  assert.deepEqual(lost, [[], [0]]);
  assert.equal(ShardSet.all(8).size, 8);
});
