import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { redisLeadership, redisShardKey } from "../../src/cluster/redisLeadership.js";
import { createLogger, silentLogger } from "../../src/log/log.js";
import { systemClock } from "../../src/clock.js";
import { freePort } from "../harness/ports.js";
import { startRedis, type PrivateRedis } from "../harness/redis.js";
import { waitFor } from "../support/waitFor.js";
import { ALL, announcementsReachEveryNode, Contenders, SHARDS } from "./contenders.js";

const TTL_MS = 1500;
const log = process.env.EASYTASK_TEST_LOG ? createLogger("debug") : silentLogger;

// Forwards TCP to Redis until cut(); from then on it swallows every byte in
// both directions and keeps the connections open, as a network partition
// looks to a client: commands are sent and never answered.
async function partitionableProxy(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  let partitioned = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port });
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on("data", (chunk: Buffer) => partitioned || to.write(chunk));
      from.on("error", () => to.destroy());
      from.on("close", () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => (partitioned = true),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("redis shard leases", () => {
  let redis: PrivateRedis;
  let client: Redis;
  const contenders = () =>
    new Contenders((cluster, port) => redisLeadership({ node: { host: "127.0.0.1", port, password: "" }, clusterName: cluster, ttlMs: TTL_MS, shards: SHARDS, log, clock: systemClock }));
  before(async () => {
    redis = await startRedis();
    client = new Redis({ host: redis.host, port: redis.port });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test("three nodes share the shards; stop() frees a node's shards and the others take them", async () => {
    const nodes = contenders();
    try {
      const all = [await nodes.add("handover", redis.port), await nodes.add("handover", redis.port), await nodes.add("handover", redis.port)];
      await waitFor("the shards shared by all three", () => nodes.sharedBy(all.map((c) => c.id)), Boolean);
      const [first, ...rest] = all;
      for (const k of nodes.held.get(first!.id)!) {
        assert.equal(await client.get(redisShardKey("handover", k)), first!.id, "the shard's key holds its leader's token");
        assert.ok((await client.pttl(redisShardKey("handover", k))) > 0, "the key has a TTL, so a dead node's lease ends");
      }
      const view = await rest[0]!.leadership.view();
      assert.deepEqual(view.members.find((m) => m.id === first!.id)?.shards, nodes.held.get(first!.id), "the view lists each member's shards");
      const stoppedAt = Date.now();
      await first!.leadership.stop();
      await waitFor("the two others to take every shard", () => nodes.sharedBy(rest.map((c) => c.id)), Boolean);
      console.log(`redis: shards of a stopped node taken over in ${Date.now() - stoppedAt} ms`);
    } finally {
      await nodes.stopAll();
    }
    assert.equal(nodes.overlaps, 0, "never two leaders of one shard at once");
    for (const k of ALL) assert.equal(await client.exists(redisShardKey("handover", k)), 0, "the last one out leaves no lease behind");
  });

  test("a renewal that finds another token drops that shard at once, and takes it again once free", async () => {
    const nodes = contenders();
    const key = redisShardKey("stolen", 0);
    try {
      const { id } = await nodes.add("stolen", redis.port);
      await waitFor("the node to lead every shard", () => nodes.sharedBy([id]), Boolean);
      // What a node sees when its lease expired and another node took it.
      await client.set(key, "another-node", "PX", 60_000);
      await waitFor("the node to drop shard 0", () => nodes.held.get(id)!, (ks) => !ks.includes(0));
      assert.equal(nodes.held.get(id)!.length, SHARDS - 1, "the other shards stay led");
      assert.equal(await client.get(key), "another-node", "its renewal left the other token alone");
      await client.del(key);
      await waitFor("the node to lead shard 0 again", () => nodes.held.get(id)!, (ks) => ks.includes(0));
    } finally {
      await nodes.stopAll();
    }
  });

  test("a node cut off from Redis stops leading before its leases expire and another node takes its shards", async () => {
    const proxy = await partitionableProxy(redis.port);
    const nodes = contenders();
    try {
      const cutOff = await nodes.add("partition", proxy.port);
      await waitFor("the node behind the proxy to lead every shard", () => nodes.sharedBy([cutOff.id]), Boolean);
      const other = await nodes.add("partition", redis.port);
      await waitFor("the two to share the shards", () => nodes.sharedBy([cutOff.id, other.id]), Boolean);
      proxy.cut();
      // The other node can only take a key once Redis expired it; the
      // overlap count below shows the cut-off node had stepped down first.
      await waitFor("the other node to lead every shard", () => nodes.sharedBy([other.id]), Boolean, 10_000);
      for (const k of ALL) assert.equal(await client.get(redisShardKey("partition", k)), other.id);
    } finally {
      await nodes.stopAll();
      await proxy.close();
    }
    assert.equal(nodes.overlaps, 0, "the cut-off node stopped before the other one started");
  });

  test("a closed run announced by one node reaches every node", async () => {
    const nodes = contenders();
    try {
      await announcementsReachEveryNode(nodes, "cuts", redis.port);
    } finally {
      await nodes.stopAll();
    }
  });
});

test("a Redis that cannot be reached is logged with err as {type, message, stack}", async () => {
  const raw: string[] = [];
  const port = await freePort();
  const leadership = redisLeadership({
    node: { host: "127.0.0.1", port, password: "" },
    clusterName: "unreachable",
    ttlMs: TTL_MS,
    shards: SHARDS,
    log: createLogger("debug", { write: (line) => raw.push(line) }),
    clock: systemClock,
  });
  await leadership.start({ id: "alone", address: "", startedAt: Date.now() }, () => {});
  const line = await waitFor("the unreachable line", () => raw.map((l) => JSON.parse(l) as { msg: string; err?: unknown }).find((l) => l.msg === "redis unreachable"), (l) => l !== undefined);
  const err = line!.err as { type: string; message: string; stack: string };
  assert.equal(typeof err, "object");
  assert.match(err.message, /ECONNREFUSED/);
  assert.equal(typeof err.type, "string");
  assert.match(err.stack, /\n\s+at /);
  await leadership.stop();
});
