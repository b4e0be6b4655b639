import { shardOfTask, shardOfTaskServer } from "../policy/shards.js";
import type { ShardFilter } from "../store/tasks.js";

// The shards this node leads now, as the leadership grants and takes them.
// The engine's loops read it at every pass: the scheduler, the sweeper and
// retention filter their queries by it, the health checks by task server. Watchers hear of every change at once (the scheduler drops the
// timers of a shard it lost).
export class ShardSet {
  private led = new Set<number>();
  private current: ShardFilter;
  private readonly watchers: ((lost: number[]) => void)[] = [];

  constructor(readonly total: number) {
    this.current = { total, led: [] };
  }

  static all(total: number): ShardSet {
    const set = new ShardSet(total);
    set.set(Array.from({ length: total }, (_, k) => k));
    return set;
  }

  // Replaces the shards led; returns whether anything changed.
  set(shards: readonly number[]): boolean {
    const next = new Set(shards);
    const lost = [...this.led].filter((k) => !next.has(k));
    if (lost.length === 0 && next.size === this.led.size) return false;
    this.led = next;
    this.current = { total: this.total, led: this.list() };
    for (const fn of this.watchers) fn(lost);
    return true;
  }

  watch(fn: (lost: number[]) => void): void {
    this.watchers.push(fn);
  }

  get size(): number {
    return this.led.size;
  }

  list(): number[] {
    return [...this.led].sort((a, b) => a - b);
  }

  filter(): ShardFilter {
    return this.current;
  }

  ownsTask(taskId: number): boolean {
    return this.led.has(shardOfTask(taskId, this.total));
  }

  ownsTaskServer(taskServerId: number): boolean {
    return this.led.has(shardOfTaskServer(taskServerId, this.total));
  }
}
