import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { redisLeaderKey, redisLeadership } from "../../src/cluster/redisLeadership.js";
import type { Leadership } from "../../src/cluster/leadership.js";
import { createLogger, silentLogger } from "../../src/log/log.js";
import { systemClock } from "../../src/clock.js";
import { freePort } from "../harness/ports.js";
import { startRedis, type PrivateRedis } from "../harness/redis.js";
import { waitFor } from "../support/waitFor.js";

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

// Contenders in one process share one event loop, so the order in which
// their notifications arrive is the order in which they started or stopped
// scheduling: `overlaps` counts every moment two of them led at once.
class Contenders {
  readonly leading = new Set<string>();
  overlaps = 0;
  private readonly all: { id: string; leadership: Leadership }[] = [];
  private n = 0;

  async add(cluster: string, port: number): Promise<{ id: string; leadership: Leadership }> {
    const id = `node-${++this.n}`;
    const leadership = redisLeadership({ node: { host: "127.0.0.1", port, password: "" }, clusterName: cluster, ttlMs: TTL_MS, log, clock: systemClock });
    await leadership.start({ id, address: `127.0.0.1:${port}`, startedAt: Date.now() }, (leads) => {
      if (!leads) return void this.leading.delete(id);
      if (this.leading.size > 0) this.overlaps++;
      this.leading.add(id);
    });
    const contender = { id, leadership };
    this.all.push(contender);
    return contender;
  }

  leader(): string | undefined {
    return this.leading.size === 1 ? [...this.leading][0] : undefined;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((c) => c.leadership.stop()));
  }
}

describe("redis leader lease", () => {
  let redis: PrivateRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis({ host: redis.host, port: redis.port });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  test("one of three leads; stop() releases the lease and another takes it", async () => {
    const nodes = new Contenders();
    try {
      const all = [await nodes.add("handover", redis.port), await nodes.add("handover", redis.port), await nodes.add("handover", redis.port)];
      const first = await waitFor("one leader", () => nodes.leader(), (id) => id !== undefined);
      assert.equal(await client.get(redisLeaderKey("handover")), first, "the key holds the leader's token");
      assert.ok((await client.pttl(redisLeaderKey("handover"))) > 0, "the key has a TTL, so a dead leader's lease ends");
      await all.find((c) => c.id === first)!.leadership.stop();
      assert.notEqual(await client.get(redisLeaderKey("handover")), first, "released on stop");
      const second = await waitFor("another leader", () => nodes.leader(), (id) => id !== undefined && id !== first);
      assert.equal(await client.get(redisLeaderKey("handover")), second);
    } finally {
      await nodes.stopAll();
    }
    assert.equal(nodes.overlaps, 0, "never two leaders at once");
    assert.equal(await client.exists(redisLeaderKey("handover")), 0, "the last one out leaves no lease behind");
  });

  test("a renewal that finds another token stops leading at once, and the lease is taken again once free", async () => {
    const nodes = new Contenders();
    const key = redisLeaderKey("stolen");
    try {
      const { id } = await nodes.add("stolen", redis.port);
      await waitFor("the node to lead", () => nodes.leader(), (l) => l === id);
      // What a node sees when its lease expired and another node took it.
      await client.set(key, "another-node", "PX", 60_000);
      await waitFor("the node to stop leading", () => nodes.leading.size, (n) => n === 0);
      assert.equal(await client.get(key), "another-node", "its renewal left the other token alone");
      await client.del(key);
      await waitFor("the node to lead again", () => nodes.leader(), (l) => l === id);
    } finally {
      await nodes.stopAll();
    }
  });

  test("a leader cut off from Redis stops leading before its lease expires and another node takes it", async () => {
    const proxy = await partitionableProxy(redis.port);
    const nodes = new Contenders();
    const key = redisLeaderKey("partition");
    try {
      const cutOff = await nodes.add("partition", proxy.port);
      await waitFor("the node behind the proxy to lead", () => nodes.leader(), (l) => l === cutOff.id);
      const other = await nodes.add("partition", redis.port);
      proxy.cut();
      // The other node can only take the key once Redis expired it; the
      // overlap count below shows the cut-off leader had stepped down first.
      await waitFor("the other node to lead", () => nodes.leader(), (l) => l === other.id, 10_000);
      assert.equal(await client.get(key), other.id);
    } finally {
      await nodes.stopAll();
      await proxy.close();
    }
    assert.equal(nodes.overlaps, 0, "the cut-off leader stopped before the other one started");
  });
});

test("a Redis that cannot be reached is logged with err as {type, message, stack}", async () => {
  const raw: string[] = [];
  const port = await freePort();
  const leadership = redisLeadership({
    node: { host: "127.0.0.1", port, password: "" },
    clusterName: "unreachable",
    ttlMs: TTL_MS,
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
