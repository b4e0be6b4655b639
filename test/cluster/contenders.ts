import type { Leadership } from "../../src/cluster/leadership.js";

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

