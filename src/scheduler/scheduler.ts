import type { Logger } from "../log.js";
import { nextFireAfterRun, type Schedule } from "../schedule/nextFireTime.js";
import type { Db } from "../store/database.js";
import { listRoutes, type RouteRow } from "../store/taskServers.js";
import { claimRun, findDueTasks, nextDueAt, type Shard, type TaskRow } from "../store/tasks.js";
import type { ClaimedRun } from "./dispatcher.js";

export interface SchedulerClock {
  now(): number;
  // Resolves after ms, or early when the signal aborts.
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemSchedulerClock: SchedulerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    }),
};

export interface RunSink {
  readonly free: number;
  dispatch(run: ClaimedRun, routes: RouteRow[]): void;
}

export interface SchedulerDeps {
  db: Db;
  clock: SchedulerClock;
  sink: RunSink;
  shard: Shard;
  // Longest sleep between looks at the database: how soon a change made on
  // another node is seen.
  pollMs: number;
  batchSize: number;
  log: Logger;
}

export const scheduleOf = (t: TaskRow): Schedule => ({
  mode: t.sched_mode,
  cron: t.time_cron,
  intervalSec: t.time_interval_sec,
  specAtMs: t.time_spec_at * 1000,
});

// Fires due runs: reads the due tasks of its shard, claims each with the
// store's compare-and-set and hands the claimed runs to the sink.
export class Scheduler {
  private wakeUp: (() => void) | undefined;
  private sleepingUntil = Number.POSITIVE_INFINITY;
  // Earliest due time announced by wake() since the last look at the
  // database, which that look may have missed.
  private announcedDue = Number.POSITIVE_INFINITY;

  constructor(private readonly deps: SchedulerDeps) {}

  // One pass; returns how many runs it claimed. Stops claiming as soon as
  // the signal aborts: this node may no longer lead.
  async tick(signal?: AbortSignal): Promise<number> {
    const { db, clock, sink, shard } = this.deps;
    const limit = Math.min(sink.free, this.deps.batchSize);
    if (limit === 0) return 0;
    const now = clock.now();
    const due = await findDueTasks(db, now, shard, limit);
    const routes = new Map<number, Promise<RouteRow[]>>();
    let claimed = 0;
    for (const task of due) {
      if (signal?.aborted) break;
      const runTimes = await claimRun(db, task, this.nextFire(task, now), shard, now);
      if (runTimes === undefined) continue;
      claimed++;
      if (!routes.has(task.task_server_id)) routes.set(task.task_server_id, listRoutes(db, task.task_server_id));
      sink.dispatch({ task, runTimes }, await routes.get(task.task_server_id)!);
    }
    return claimed;
  }

  // Runs ticks until the signal aborts, sleeping until the next due run (or
  // pollMs at most, or until woken by a change made on this node).
  async run(signal: AbortSignal): Promise<void> {
    const { clock, log } = this.deps;
    while (!signal.aborted) {
      this.announcedDue = Number.POSITIVE_INFINITY;
      let sleepMs = this.deps.pollMs;
      try {
        const claimed = await this.tick(signal);
        if (claimed === this.deps.batchSize) continue;
        const next = await nextDueAt(this.deps.db, this.deps.shard);
        // Something already due but nothing claimed means the pool is full
        // or another scheduler won the claim: look again shortly, not at once.
        if (next !== null) sleepMs = Math.min(sleepMs, Math.max(next - clock.now(), claimed === 0 ? 5 : 0));
      } catch (err) {
        log.error("scheduler tick failed; retrying", { err });
      }
      if (sleepMs > 0) await this.sleep(sleepMs, signal);
    }
  }

  // A task changed on this node and is next due at dueAt: look at the
  // database again now if that is before the loop would wake anyway, so a
  // burst of AddTask calls for later runs costs no extra queries.
  wake(dueAt: number): void {
    this.announcedDue = Math.min(this.announcedDue, dueAt);
    if (dueAt < this.sleepingUntil) this.wakeUp?.();
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const woken = new AbortController();
    this.wakeUp = () => woken.abort();
    const now = this.deps.clock.now();
    this.sleepingUntil = Math.min(now + ms, this.announcedDue);
    ms = Math.max(0, this.sleepingUntil - now);
    await this.deps.clock.sleep(ms, AbortSignal.any([signal, woken.signal]));
    this.wakeUp = undefined;
    this.sleepingUntil = Number.POSITIVE_INFINITY;
  }

  private nextFire(task: TaskRow, now: number): number | null {
    try {
      return nextFireAfterRun(scheduleOf(task), task.next_fire_at ?? now, now);
    } catch (err) {
      // Validated when added, so only a schedule this version cannot read
      // (e.g. written by a newer one) lands here: run it once, then stop.
      this.deps.log.error("cannot compute the next fire time; the task will not fire again", { err, task_id: task.id });
      return null;
    }
  }
}
