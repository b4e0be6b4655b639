import assert from "node:assert/strict";
import type { Cut, Leadership } from "../../src/cluster/leadership.js";
import { waitFor } from "../support/waitFor.js";

export const SHARDS = 8;
export const ALL = Array.from({ length: SHARDS }, (_, k) => k);

// Contenders in one process share one event loop, so the order in which
// their notifications arrive is the order in which they took or gave up
// shards: `overlaps` counts every moment two of them led one shard at once.
export class Contenders {
  readonly held = new Map<string, number[]>();
  overlaps = 0;
  private readonly all: { id: string; leadership: Leadership }[] = [];
  private n = 0;

  constructor(private readonly make: (cluster: string, port: number) => Leadership) {}

  async add(cluster: string, port = 0): Promise<{ id: string; leadership: Leadership }> {
    const id = `node-${++this.n}`;
    const leadership = this.make(cluster, port);
    this.held.set(id, []);
    await leadership.start({ id, address: `127.0.0.1:${port}`, startedAt: Date.now() }, (led) => {
      const before = this.held.get(id)!;
      for (const k of led) if (!before.includes(k) && [...this.held].some(([other, ks]) => other !== id && ks.includes(k))) this.overlaps++;
      this.held.set(id, [...led]);
    });
    const contender = { id, leadership };
    this.all.push(contender);
    return contender;
  }

  // Every shard led by exactly one of `ids`, each of which leads some.
  sharedBy(ids: string[]): boolean {
    const led = ids.map((id) => this.held.get(id) ?? []);
    const others = [...this.held].filter(([id]) => !ids.includes(id)).flatMap(([, ks]) => ks);
    return others.length === 0 && led.every((ks) => ks.length > 0) && led.flat().sort((a, b) => a - b).join() === ALL.join();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((c) => c.leadership.stop()));
  }
}


// Two nodes of `cluster` share the shards, and what one announces (a run
// closed, every run of a task) the other hears.
export async function announcementsReachEveryNode(nodes: Contenders, cluster: string, port = 0): Promise<void> {
  const [a, b] = [await nodes.add(cluster, port), await nodes.add(cluster, port)];
  await waitFor("the shards shared", () => nodes.sharedBy([a.id, b.id]), Boolean);
  const heard: Cut[] = [];
  b.leadership.onCut((c) => heard.push(c));
  a.leadership.cut({ taskId: 42, runTimes: 7 });
  a.leadership.cut({ taskId: 43 });
  await waitFor("both announcements", () => heard, (h) => h.length === 2);
  // Each is announced on its own, so they may arrive in either order.
  assert.deepEqual(
    heard.sort((x, y) => x.taskId - y.taskId),
    [{ taskId: 42, runTimes: 7 }, { taskId: 43 }],
  );
}
