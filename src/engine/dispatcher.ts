import { RouteStrategy, RunState } from "../../gen/easytask/v1/task_pb.js";
import type { CallbackClient } from "../callback/client.js";
import type { CmdNumbering } from "../callback/protocol.js";
import { routeUrl } from "../callback/routeUrl.js";
import { callTask, type Call } from "../callback/taskCall.js";
import { newTraceId } from "../callback/traceId.js";
import type { Clock } from "../clock.js";
import { withLogFields } from "../log/context.js";
import type { Logger } from "../log/log.js";
import type { Metrics } from "../metrics/metrics.js";
import { outcomeOf } from "../policy/runOutcome.js";
import { selectRoutes, type RoutingState } from "../policy/selectRoute.js";
import type { Db } from "../store/database.js";
import { closedAmong, type AttemptRef, type InFlightRef } from "../store/taskLogs.js";
import { Fifo } from "./fifo.js";
import type { CallbackRoute, RouteRow } from "../store/taskServers.js";
import type { TaskRow } from "../store/tasks.js";
import type { ResultWriter } from "./resultWriter.js";

export interface Run {
  task: TaskRow;
  runTimes: number;
  attempt: number;
  dueAt: number;
  // When it was claimed: its attempt's started_at.
  claimedAt: number;
}

export interface DispatcherDeps {
  db: Db;
  clock: Clock;
  client: CallbackClient;
  writer: ResultWriter;
  numbering: CmdNumbering;
  poolSize: number;
  log: Logger;
  metrics: Metrics;
}

const MAX_SHARE_PER_TASK_SERVER = 0.8;
// Runs claimed at most, per slot of the pool (and of a task server's share):
// in flight, or waiting for the next slot to free up.
const CLAIM_AHEAD = 2;

const healthy = (routes: CallbackRoute[]) => {
  const passing = routes.filter((r) => r.failed_health_checks === 0);
  return passing.length > 0 ? passing : routes;
};

export const callTimeoutMs = (task: TaskRow, route: RouteRow) =>
  Math.min(route.callback_timeout_sec, task.max_run_time_sec || Number.POSITIVE_INFINITY) * 1000;

const refKey = (r: AttemptRef) => `${r.taskId}:${r.runTimes}:${r.attempt}`;

// A claimed run that waits for a callback slot.
interface Waiting {
  run: Run;
  routes: CallbackRoute[];
  ref: InFlightRef;
}

// Keeps the callback slots: at most poolSize runs in flight, and a share of
// them per task server. The scheduler claims a little ahead of the free
// slots (as many again as are in flight), and a claimed run that finds no
// free slot waits here for one: when a callback ends, the next run goes out
// at once, without a database round trip on the way. Each run is called on
// the routes its strategy picks and its outcome handed to the result writer.
// Tracks the runs waiting and in flight so a stopped task's or killed run's
// callback can be cut.
export class Dispatcher {
  private readonly inFlight = new Map<string, { ref: InFlightRef; controller: AbortController; done: Promise<void> }>();
  private readonly waiting = new Map<number, Fifo<Waiting>>();
  private readonly waitingRefs = new Map<string, Waiting>();
  private readonly routing: RoutingState = { rotation: new Map(), random: Math.random };
  private readonly perServer = new Map<number, number>();
  private slotFreed: () => void = () => {};
  private freedSoon = false;

  constructor(private readonly deps: DispatcherDeps) {}

  // Tells the scheduler, once per turn of the event loop however many
  // callbacks ended in it, that it may claim more.
  onSlotFreed(listener: () => void): void {
    this.slotFreed = listener;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private get cap(): number {
    return Math.max(1, Math.floor(this.deps.poolSize * MAX_SHARE_PER_TASK_SERVER));
  }

  // How many more runs the scheduler may claim: room in flight and waiting.
  get free(): number {
    return Math.max(0, CLAIM_AHEAD * this.deps.poolSize - this.inFlight.size - this.waitingRefs.size);
  }

  // A task server may hold at most this share of the pool, so the rest
  // stays free for the others however slow it answers.
  freeFor(taskServerId: number): number {
    const held = (this.perServer.get(taskServerId) ?? 0) + (this.waiting.get(taskServerId)?.size ?? 0);
    return Math.max(0, Math.min(this.free, CLAIM_AHEAD * this.cap - held));
  }

  dispatch(run: Run, routes: CallbackRoute[]): void {
    const w: Waiting = { run, routes, ref: { taskId: run.task.id, runTimes: run.runTimes, attempt: run.attempt, startedAt: run.claimedAt } };
    const serverId = run.task.task_server_id;
    if (this.hasSlot(serverId)) return this.start(w);
    let queue = this.waiting.get(serverId);
    if (!queue) this.waiting.set(serverId, (queue = new Fifo()));
    queue.push(w);
    this.waitingRefs.set(refKey(w.ref), w);
  }

  private hasSlot(serverId: number): boolean {
    return this.inFlight.size < this.deps.poolSize && (this.perServer.get(serverId) ?? 0) < this.cap;
  }

  private start(w: Waiting): void {
    const { run, ref } = w;
    const controller = new AbortController();
    const key = refKey(ref);
    const serverId = run.task.task_server_id;
    this.perServer.set(serverId, (this.perServer.get(serverId) ?? 0) + 1);
    const startedAt = this.deps.clock.now();
    this.deps.metrics.runFired(serverId, startedAt - run.dueAt, run.task.id);
    // One trace id per run, sent to the task server and on every line
    // logged about the run.
    const traceId = newTraceId();
    const fields = { task_id: ref.taskId, run_times: ref.runTimes, attempt: ref.attempt, trace_id: traceId };
    const done = withLogFields(fields, () =>
      this.call(w, startedAt, traceId, controller.signal).catch((err) => this.deps.log.error("callback failed unexpectedly", { err })),
    ).finally(() => {
      this.inFlight.delete(key);
      const left = this.perServer.get(serverId)! - 1;
      if (left === 0) this.perServer.delete(serverId);
      else this.perServer.set(serverId, left);
      this.startWaiting();
      this.tellFreed();
    });
    this.inFlight.set(key, { ref, controller, done });
  }

  // Gives free slots to waiting runs, oldest first within a task server.
  private startWaiting(): void {
    for (const [serverId, queue] of this.waiting) {
      while (queue.size > 0 && this.hasSlot(serverId)) {
        const w = queue.shift()!;
        this.waitingRefs.delete(refKey(w.ref));
        this.start(w);
      }
      if (queue.size === 0) this.waiting.delete(serverId);
      if (this.inFlight.size >= this.deps.poolSize) return;
    }
  }

  private tellFreed(): void {
    if (this.freedSoon) return;
    this.freedSoon = true;
    setImmediate(() => {
      this.freedSoon = false;
      this.slotFreed();
    });
  }

  // Drops waiting runs the database closed already (a stop, a kill, a
  // cancel); they are never called.
  private dropWaiting(closed: (ref: InFlightRef) => boolean): void {
    for (const [serverId, queue] of this.waiting) {
      for (const w of queue.remove((w) => closed(w.ref))) this.waitingRefs.delete(refKey(w.ref));
      if (queue.size === 0) this.waiting.delete(serverId);
    }
  }

  // Cuts the callbacks of a task, or of one of its runs, and drops them
  // where they wait.
  abortTask(taskId: number, runTimes?: number): void {
    const of = (ref: InFlightRef) => ref.taskId === taskId && (runTimes === undefined || ref.runTimes === runTimes);
    for (const { ref, controller } of this.inFlight.values()) if (of(ref)) controller.abort();
    if (this.waitingRefs.size > 0) this.dropWaiting(of);
  }

  // Cuts the callbacks of runs closed in the database meanwhile (killed,
  // canceled or aborted through any node).
  async reconcile(): Promise<void> {
    const refs = [...[...this.inFlight.values()].map((f) => f.ref), ...[...this.waitingRefs.values()].map((w) => w.ref)];
    const closed = new Set((await closedAmong(this.deps.db, refs)).map(refKey));
    for (const f of this.inFlight.values()) if (closed.has(refKey(f.ref))) f.controller.abort();
    if (closed.size > 0) this.dropWaiting((ref) => closed.has(refKey(ref)));
  }

  // In flight or waiting for a slot here: its outcome is still to come.
  isInFlight(ref: AttemptRef): boolean {
    const key = refKey(ref);
    return this.inFlight.has(key) || this.waitingRefs.has(key);
  }

  // Waits for the runs in flight and waiting up to the deadline, then cuts
  // the calls left so their outcome (aborted) is recorded before the store
  // closes; runs still waiting were never called, and are recorded so.
  async drain(timeoutMs: number): Promise<void> {
    const deadline = new AbortController();
    const expired = this.deps.clock.sleep(timeoutMs, deadline.signal).then(() => true);
    while (this.inFlight.size + this.waitingRefs.size > 0) {
      const calls = Promise.allSettled([...this.inFlight.values()].map((f) => f.done)).then(() => false);
      if (await Promise.race([calls, expired])) break;
    }
    deadline.abort();
    const left = [...this.inFlight.values()];
    for (const f of left) f.controller.abort();
    const now = this.deps.clock.now();
    for (const w of this.waitingRefs.values()) {
      const error = "not called: the scheduler stopped before a callback slot was free";
      this.deps.writer.push({ ref: w.ref, task: w.run.task, outcome: { state: RunState.ABORTED, answer: { route: "", httpStatus: 0, response: "" }, error, extra: "" }, at: now });
    }
    this.waiting.clear();
    this.waitingRefs.clear();
    await Promise.allSettled(left.map((f) => f.done));
  }

  // Calls the routes the task's strategy picks: all of them at once
  // (BROADCAST), one after the other until one answers (FAILOVER), or one.
  private async call({ run, routes, ref }: Waiting, startedAt: number, traceId: string, signal: AbortSignal): Promise<void> {
    const { task } = run;
    const strategy = task.route_strategy as RouteStrategy;
    const chosen = selectRoutes(strategy, healthy(routes), { taskServerId: task.task_server_id, bizId: task.biz_id }, this.routing);
    let calls: Call[];
    if (chosen.length === 0) {
      calls = [{ kind: "failed", route: "", status: 0, body: "", error: "task server has no routes", timeout: false }];
    } else if (strategy === RouteStrategy.BROADCAST) {
      calls = await Promise.all(chosen.map((route, i) => this.post(run, route, traceId, signal, { shardIndex: i, shardTotal: chosen.length })));
    } else {
      calls = [];
      // FAILOVER moves on when a route cannot be reached or answers an HTTP
      // error; a timeout does not, as the task server may be running it.
      for (const route of strategy === RouteStrategy.FAILOVER ? chosen : chosen.slice(0, 1)) {
        const c = await this.post(run, route, traceId, signal);
        calls = [c];
        if (c.kind === "answer" || c.timeout || signal.aborted) break;
      }
    }
    const now = this.deps.clock.now();
    const outcome = outcomeOf(calls, task.max_run_time_sec, startedAt);
    this.deps.metrics.callbackEnded(task.task_server_id, now - startedAt);
    this.deps.log.debug("callback answered", {
      state: RunState[outcome.state],
      route: outcome.answer.route,
      http_status: outcome.answer.httpStatus,
      duration_ms: now - startedAt,
    });
    this.deps.writer.push({ ref, task, outcome, at: now });
  }

  private post(run: Run, route: CallbackRoute, traceId: string, signal: AbortSignal, shard?: { shardIndex: number; shardTotal: number }): Promise<Call> {
    const { task, runTimes, attempt } = run;
    const target = { base: routeUrl(route), path: task.callback_path, secret: route.secret, timeoutMs: callTimeoutMs(task, route) };
    const call = {
      taskId: task.id,
      taskName: task.name,
      arg: task.arg,
      runTimes,
      bizId: task.biz_id,
      attempt: attempt > 1 ? attempt : undefined,
      ...shard,
    };
    return callTask(this.deps.client, this.deps.clock, this.deps.numbering, target, call, { traceId, runId: `${task.id}:${runTimes}:${attempt}` }, signal);
  }
}
