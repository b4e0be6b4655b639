import { TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../log/log.js";
import type { Db } from "../store/database.js";
import { claimAttempts, claimSlots } from "../store/claims.js";
import { listPendingAttempts, type PendingAttempt } from "../store/taskLogs.js";
import { listRoutesOf, type CallbackRoute } from "../store/taskServers.js";
import { getTasks, loadChangedTasks, loadDueWindow, type TaskRow } from "../store/tasks.js";
import { callTimeoutMs, type Run } from "./dispatcher.js";
import { Fifo } from "./fifo.js";
import { MinHeap } from "./minHeap.js";
import { planSlot } from "../policy/planSlot.js";
import type { ShardSet } from "./shardSet.js";

export interface RunSink {
  readonly free: number;
  // Callback slots a task server may still take: one slow task server must
  // not hold every slot and starve the others.
  freeFor(taskServerId: number): number;
  dispatch(run: Run, routes: CallbackRoute[]): void;
  abortTask(taskId: number): void;
  // Calls `listener` whenever a callback slot frees up.
  onSlotFreed(listener: () => void): void;
}

export interface SchedulerTiming {
  // How far ahead due runs are loaded into the timers.
  lookaheadMs: number;
  // How often the database is read for changes made on other nodes, new
  // pending attempts and the next slice of due runs.
  pollMs: number;
  // How often the whole window is read again, as a net under clock skew
  // between nodes.
  rescanMs: number;
  // The least time between two claims of runs that fell due: runs due a
  // moment apart (1,000 a second spread over the second) are claimed a few
  // at a time, not each in a transaction of its own. A run due right after
  // a claim waits at most this long; runs due together are not delayed.
  claimGapMs: number;
}

export const DEFAULT_TIMING: SchedulerTiming = { lookaheadMs: 5000, pollMs: 500, rescanMs: 30_000, claimGapMs: 5 };

export interface SchedulerDeps {
  db: Db;
  clock: Clock;
  sink: RunSink;
  // The shards this node leads; the scheduler claims for no other.
  shards: ShardSet;
  timing: SchedulerTiming;
  log: Logger;
}

// An extra margin after a callback's timeout before a RUNNING run counts as
// lost (its scheduler died) and the sweeper times it out.
export const DEADLINE_GRACE_MS = 5000;
// Changes are read back this far, for clocks of other nodes running behind.
const CHANGE_SKEW_MS = 1000;
const WINDOW_LIMIT = 50_000;
const MAX_CLAIM_BATCH = 500;
const WOKEN = Symbol("woken");

type Timer = { at: number; task: TaskRow } | { at: number; attempt: PendingAttempt };

// Fires due runs on time. It keeps the runs due within the lookahead in a
// timer heap and sleeps until the first; at its due time it claims the runs
// in one transaction (the database decides: a compare-and-set per run) and
// hands them to the sink. The heap is fed by reading the next slice of time,
// the tasks changed on any node, pending retries and triggered runs, and the
// task rows its own claims produce.
export class Scheduler {
  private readonly heap = new MinHeap<Timer>((t) => t.at);
  // The newest row known per task in the window; heap entries of older rows
  // are stale and skipped.
  private readonly slots = new Map<number, TaskRow>();
  private readonly attempts = new Map<number, PendingAttempt>();
  private loadedUntil = 0;
  private lastRescan = Number.NEGATIVE_INFINITY;
  private lastChangeScan = 0;
  private nextPollAt = 0;
  private lastClaimAt = Number.NEGATIVE_INFINITY;
  private readonly changed = new Set<number>();
  // Due timers waiting for a callback slot, per task server, oldest first:
  // each due timer leaves the heap once, however long it waits.
  private readonly ready = new Map<number, Fifo<Timer>>();
  private wakeUp: (() => void) | undefined;

  constructor(private readonly deps: SchedulerDeps) {
    deps.shards.watch((lost) => this.shardsChanged(lost.length > 0));
    // A freed slot may be taken by a run waiting for it.
    deps.sink.onSlotFreed(() => {
      if (this.ready.size > 0) this.wakeUp?.();
    });
  }

  // A lost shard's timers (and runs waiting for a slot) go at once, so
  // nothing is claimed for it; a gained one is read whole at the next pass.
  private shardsChanged(lost: boolean): void {
    const { shards } = this.deps;
    if (lost) {
      for (const id of this.slots.keys()) if (!shards.ownsTask(id)) this.slots.delete(id);
      for (const [logId, a] of this.attempts) if (!shards.ownsTask(a.task.id)) this.attempts.delete(logId);
    }
    this.lastRescan = Number.NEGATIVE_INFINITY;
    this.nextPollAt = 0;
    this.wakeUp?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clock, log, timing } = this.deps;
    // Leadership ending wakes the loop like any other reason to look again.
    signal.addEventListener("abort", () => this.wakeUp?.(), { once: true });
    while (!signal.aborted) {
      try {
        if (clock.now() >= this.nextPollAt) await this.refresh();
        else if (this.changed.size > 0) await this.readChanged();
        await this.fireDue(signal);
      } catch (err) {
        log.error("scheduler pass failed; retrying", { err });
        // Timers popped for a claim that failed, or rows read but not yet
        // tracked, would be missed: read the whole window again.
        this.lastRescan = Number.NEGATIVE_INFINITY;
        this.nextPollAt = clock.now() + timing.pollMs;
      }
      await this.sleep(signal);
    }
  }

  // A task changed on this node (added, updated, resumed): read it again now
  // if it is due within what the timers hold; later runs come with their
  // slice of time.
  taskChanged(taskId: number, nextFireAt: number | null): void {
    if (nextFireAt !== null && nextFireAt > this.loadedUntil) return;
    this.changed.add(taskId);
    this.wakeUp?.();
  }

  // A run was queued on this node (TriggerTask): look for it now.
  runQueued(): void {
    this.nextPollAt = 0;
    this.wakeUp?.();
  }

  // Reads what changed in the database into the timers.
  async refresh(): Promise<void> {
    const { db, clock, shards, timing } = this.deps;
    const filter = shards.filter();
    const now = clock.now();
    if (now - this.lastRescan >= timing.rescanMs) {
      this.loadedUntil = 0;
      this.lastRescan = now;
    }
    const until = now + timing.lookaheadMs;
    const window = await loadDueWindow(db, this.loadedUntil, until, filter, WINDOW_LIMIT);
    // A full page may cut through runs due at the same millisecond: read
    // from that millisecond again next time (duplicates are ignored).
    this.loadedUntil = window.length === WINDOW_LIMIT ? window[window.length - 1].next_fire_at! - 1 : until;
    const changed = await loadChangedTasks(db, this.lastChangeScan - CHANGE_SKEW_MS, this.loadedUntil, filter);
    this.lastChangeScan = now;
    for (const row of [...window, ...changed]) this.track(row);
    await this.readChanged();
    this.attempts.clear();
    for (const attempt of await listPendingAttempts(db, until, filter, WINDOW_LIMIT)) {
      this.attempts.set(attempt.logId, attempt);
      this.heap.push({ at: attempt.dueAt, attempt });
    }
    this.nextPollAt = now + timing.pollMs;
  }

  private async readChanged(): Promise<void> {
    const ids = [...this.changed];
    this.changed.clear();
    for (const row of await getTasks(this.deps.db, ids)) this.track(row);
  }

  // Stale timers (a newer row or attempt list replaced them) are dropped.
  private isCurrent(timer: Timer): boolean {
    return "task" in timer ? this.slots.get(timer.task.id) === timer.task : this.attempts.get(timer.attempt.logId) === timer.attempt;
  }

  // Takes the due timers that have a callback slot: every task server its
  // share of the free slots, in the order their runs fell due.
  private takeDue(now: number): { dueSlots: TaskRow[]; dueAttempts: PendingAttempt[] } {
    const { sink } = this.deps;
    for (let top = this.heap.peek(); top !== undefined && top.at <= now; top = this.heap.peek()) {
      const timer = this.heap.pop()!;
      if (!this.isCurrent(timer)) continue;
      const serverId = ("task" in timer ? timer.task : timer.attempt.task).task_server_id;
      let queue = this.ready.get(serverId);
      if (!queue) this.ready.set(serverId, (queue = new Fifo()));
      queue.push(timer);
    }
    const dueSlots: TaskRow[] = [];
    const dueAttempts: PendingAttempt[] = [];
    let budget = sink.free;
    for (const [serverId, queue] of this.ready) {
      for (let free = Math.min(budget, sink.freeFor(serverId)); free > 0 && queue.size > 0; ) {
        const timer = queue.shift()!;
        if (!this.isCurrent(timer)) continue;
        if ("task" in timer) {
          this.slots.delete(timer.task.id);
          dueSlots.push(timer.task);
        } else {
          this.attempts.delete(timer.attempt.logId);
          dueAttempts.push(timer.attempt);
        }
        free--;
        budget--;
      }
      if (queue.size === 0) this.ready.delete(serverId);
      if (budget === 0) break;
    }
    return { dueSlots, dueAttempts };
  }

  // Claims and dispatches every run due by now, as many as the sink takes.
  // Claims nothing once the signal aborts: this node may no longer lead.
  async fireDue(signal?: AbortSignal): Promise<number> {
    const { db, clock, sink, shards } = this.deps;
    const now = clock.now();
    if (signal?.aborted) return 0;
    const { dueSlots, dueAttempts } = this.takeDue(now);
    if (dueSlots.length + dueAttempts.length === 0) return 0;
    this.lastClaimAt = now;
    const routes = await listRoutesOf(db, [...new Set([...dueSlots, ...dueAttempts.map((a) => a.task)].map((t) => t.task_server_id))]);
    const routesOf = (t: TaskRow) => routes.get(t.task_server_id) ?? [];
    const deadlineFor = (t: TaskRow) => now + Math.max(0, ...routesOf(t).map((r) => callTimeoutMs(t, r))) + DEADLINE_GRACE_MS;

    const claimed = [];
    // A batch is one transaction of a few statements; past this many rows
    // its statements grow long enough to split.
    for (let i = 0; i < dueSlots.length; i += MAX_CLAIM_BATCH) {
      claimed.push(...(await claimSlots(db, dueSlots.slice(i, i + MAX_CLAIM_BATCH), (t, open) => planSlot(t, now, open), deadlineFor, shards.filter(), now)));
    }
    const won = new Set(claimed.map((c) => c.task.id));
    // Lost claims mean the row changed elsewhere: read it again.
    for (const t of dueSlots) if (!won.has(t.id)) this.changed.add(t.id);
    let fired = 0;
    for (const c of claimed) {
      this.track(c.task);
      if (c.canceled) sink.abortTask(c.task.id);
      if (c.runTimes === undefined) continue;
      sink.dispatch({ task: c.task, runTimes: c.runTimes, attempt: 1, dueAt: c.dueAt, claimedAt: now }, routesOf(c.task));
      fired++;
    }
    if (dueAttempts.length > 0) {
      const got = await claimAttempts(db, dueAttempts.map((a) => ({ logId: a.logId, deadlineAt: deadlineFor(a.task) })), shards.filter(), now);
      for (const a of dueAttempts) {
        if (!got.has(a.logId)) continue;
        sink.dispatch({ task: a.task, runTimes: a.runTimes, attempt: a.attempt, dueAt: a.dueAt, claimedAt: now }, routesOf(a.task));
        fired++;
      }
    }
    return fired;
  }

  // Keeps the newest row of a task, with a timer when it is due within
  // what has been loaded.
  private track(row: TaskRow): void {
    const known = this.slots.get(row.id);
    if (known && known.version > row.version) return;
    if (!this.deps.shards.ownsTask(row.id)) return void this.slots.delete(row.id);
    if (row.state === TaskState.SCHEDULED && row.next_fire_at !== null && row.next_fire_at <= this.loadedUntil) {
      if (known?.version === row.version && known.next_fire_at === row.next_fire_at) return;
      this.slots.set(row.id, row);
      this.heap.push({ at: row.next_fire_at, task: row });
    } else {
      this.slots.delete(row.id);
    }
  }

  private async sleep(signal: AbortSignal): Promise<void> {
    const { clock, sink } = this.deps;
    if (this.changed.size > 0 || clock.now() >= this.nextPollAt) return;
    const now = clock.now();
    // Due runs waiting for a slot that is free now go at once; waiting for
    // one that is not, the loop sleeps until a callback ends (onSlotFreed).
    if (this.ready.size > 0 && [...this.ready.keys()].some((id) => sink.freeFor(id) > 0)) return;
    const nextDue = this.heap.peek()?.at ?? Infinity;
    const wait = Math.min(this.nextPollAt, Math.max(nextDue, this.lastClaimAt + this.deps.timing.claimGapMs)) - now;
    if (wait <= 0) return;
    const woken = new AbortController();
    // A constant reason: an abort without one builds an exception each time,
    // and the loop is woken once per batch of ended callbacks.
    this.wakeUp = () => woken.abort(WOKEN);
    if (!signal.aborted) await clock.sleep(wait, woken.signal);
    this.wakeUp = undefined;
  }
}

