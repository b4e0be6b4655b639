import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Etcd3 } from "etcd3";
import { etcdLeadership } from "../../src/cluster/etcdLeadership.js";
import { systemClock } from "../../src/clock.js";
import { createLogger, silentLogger } from "../../src/log/log.js";
import { startEtcdCluster, type PrivateEtcdCluster } from "../harness/etcd.js";
import { sleep, waitFor } from "../support/waitFor.js";
import { announcementsReachEveryNode, Contenders, SHARDS } from "./contenders.js";

const TTL_SEC = 3;
const log = process.env.EASYTASK_TEST_LOG ? createLogger("debug") : silentLogger;

// Shard leadership on a 3-member etcd, several nodes in one process.
describe("etcd shard leadership", () => {
  let etcd: PrivateEtcdCluster;
  let client: Etcd3;
  const contenders = () => new Contenders((cluster) => etcdLeadership({ endpoints: etcd.endpoints, clusterName: cluster, ttlSec: TTL_SEC, shards: SHARDS, log, clock: systemClock }));
  before(async () => {
    etcd = await startEtcdCluster(3);
    client = new Etcd3({ hosts: etcd.endpoints });
  });
  after(async () => {
    client.close();
    await etcd.stop();
  });

  test("three nodes share the shards; stop() frees a node's shards and the others take them at once", async () => {
    const nodes = contenders();
    try {
      const all = [await nodes.add("handover"), await nodes.add("handover"), await nodes.add("handover")];
      await waitFor("the shards shared by all three", () => nodes.sharedBy(all.map((c) => c.id)), Boolean);
      const [first, ...rest] = all;
      for (const k of nodes.held.get(first!.id)!) assert.equal(await client.get(`easytask/handover/shards/${k}`).string(), first!.id, "the shard's key names its leader");
      const view = await rest[0]!.leadership.view();
      assert.deepEqual(view.members.find((m) => m.id === first!.id)?.shards, nodes.held.get(first!.id), "the view lists each member's shards");
      assert.deepEqual(first!.leadership.state().shards, nodes.held.get(first!.id));
      const stoppedAt = Date.now();
      await first!.leadership.stop();
      await waitFor("the two others to take every shard", () => nodes.sharedBy(rest.map((c) => c.id)), Boolean);
      console.log(`etcd: shards of a stopped node taken over in ${Date.now() - stoppedAt} ms`);
    } finally {
      await nodes.stopAll();
    }
    assert.equal(nodes.overlaps, 0, "never two leaders of one shard at once");
    assert.deepEqual(await client.getAll().prefix("easytask/handover/").keys(), [], "the last one out leaves no key behind");
  });

  test("one etcd member killed: no shard moves", async () => {
    const nodes = contenders();
    try {
      const all = [await nodes.add("member"), await nodes.add("member")];
      await waitFor("the shards shared", () => nodes.sharedBy(all.map((c) => c.id)), Boolean);
      const before = JSON.stringify([...nodes.held]);
      await etcd.members[1]!.kill();
      // Two lease renewals and more: a lost lease would have shown.
      await sleep(2 * TTL_SEC * 1000);
      assert.equal(JSON.stringify([...nodes.held]), before);
      assert.equal(nodes.sharedBy(all.map((c) => c.id)), true);
      await etcd.members[1]!.restart();
    } finally {
      await nodes.stopAll();
    }
    assert.equal(nodes.overlaps, 0);
  });

  test("a closed run announced by one node reaches every node, and leaves no key behind", async () => {
    const nodes = contenders();
    try {
      await announcementsReachEveryNode(nodes, "cuts");
      await waitFor("announcements to leave no key behind", () => client.getAll().prefix("easytask/cuts/cuts/").keys(), (keys) => keys.length === 0);
    } finally {
      await nodes.stopAll();
    }
  });
});
