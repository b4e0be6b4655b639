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
import type { CallbackRoute, RouteRow } from "../store/taskServers.js";
import type { TaskRow } from "../store/tasks.js";
import type { ResultWriter } from "./resultWriter.js";

export interface Run {
  task: TaskRow;
  runTimes: number;
  attempt: number;
  dueAt: number;
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

const healthy = (routes: CallbackRoute[]) => {
  const passing = routes.filter((r) => r.failed_health_checks === 0);
  return passing.length > 0 ? passing : routes;
};

export const callTimeoutMs = (task: TaskRow, route: RouteRow) =>
  Math.min(route.callback_timeout_sec, task.max_run_time_sec || Number.POSITIVE_INFINITY) * 1000;

const refKey = (r: AttemptRef) => `${r.taskId}:${r.runTimes}:${r.attempt}`;

// Keeps the callback slots: at most poolSize runs in flight, and a share of
// them per task server. Each run is called on the routes its strategy picks
// and its outcome handed to the result writer. Tracks the calls in flight so
// a stopped task's or killed run's callback can be cut.
export class Dispatcher {
  private readonly inFlight = new Map<string, { ref: InFlightRef; controller: AbortController; done: Promise<void> }>();
  private readonly routing: RoutingState = { rotation: new Map(), random: Math.random };
  private readonly perServer = new Map<number, number>();
  private slotFreed: () => void = () => {};

  constructor(private readonly deps: DispatcherDeps) {}

  onSlotFreed(listener: () => void): void {
    this.slotFreed = listener;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get free(): number {
    return Math.max(0, this.deps.poolSize - this.inFlight.size);
  }

  // A task server may hold at most this share of the pool, so the rest
  // stays free for the others however slow it answers.
  freeFor(taskServerId: number): number {
    const cap = Math.max(1, Math.floor(this.deps.poolSize * MAX_SHARE_PER_TASK_SERVER));
    return Math.max(0, Math.min(this.free, cap - (this.perServer.get(taskServerId) ?? 0)));
  }

  dispatch(run: Run, routes: CallbackRoute[]): void {
    const ref: InFlightRef = { taskId: run.task.id, runTimes: run.runTimes, attempt: run.attempt, startedAt: this.deps.clock.now() };
    const controller = new AbortController();
    const key = refKey(ref);
    const serverId = run.task.task_server_id;
    this.perServer.set(serverId, (this.perServer.get(serverId) ?? 0) + 1);
    this.deps.metrics.runFired(serverId, ref.startedAt - run.dueAt);
    // One trace id per run, sent to the task server and on every line
    // logged about the run.
    const traceId = newTraceId();
    const fields = { task_id: ref.taskId, run_times: ref.runTimes, attempt: ref.attempt, trace_id: traceId };
    const done = withLogFields(fields, () =>
      this.call(run, ref, routes, traceId, controller.signal).catch((err) => this.deps.log.error("callback failed unexpectedly", { err })),
    ).finally(() => {
      this.inFlight.delete(key);
      const left = this.perServer.get(serverId)! - 1;
      if (left === 0) this.perServer.delete(serverId);
      else this.perServer.set(serverId, left);
      this.slotFreed();
    });
    this.inFlight.set(key, { ref, controller, done });
  }

  // Cuts the callbacks in flight of a task, or of one of its runs.
  abortTask(taskId: number, runTimes?: number): void {
    for (const { ref, controller } of this.inFlight.values()) {
      if (ref.taskId === taskId && (runTimes === undefined || ref.runTimes === runTimes)) controller.abort();
    }
  }

  // Cuts the callbacks of runs closed in the database meanwhile (killed,
  // canceled or aborted through any node).
  async reconcile(): Promise<void> {
    const closed = await closedAmong(this.deps.db, [...this.inFlight.values()].map((f) => f.ref));
    for (const ref of closed) this.inFlight.get(refKey(ref))?.controller.abort();
  }

  isInFlight(ref: AttemptRef): boolean {
    return this.inFlight.has(refKey(ref));
  }

  // Waits for calls in flight up to the deadline, then cuts the rest so
  // their outcome (aborted) is recorded before the store closes.
  async drain(timeoutMs: number): Promise<void> {
    const deadline = new AbortController();
    await Promise.race([Promise.allSettled([...this.inFlight.values()].map((f) => f.done)), this.deps.clock.sleep(timeoutMs, deadline.signal)]);
    deadline.abort();
    const left = [...this.inFlight.values()];
    for (const f of left) f.controller.abort();
    await Promise.allSettled(left.map((f) => f.done));
  }

  // Calls the routes the task's strategy picks: all of them at once
  // (BROADCAST), one after the other until one answers (FAILOVER), or one.
  private async call(run: Run, ref: InFlightRef, routes: CallbackRoute[], traceId: string, signal: AbortSignal): Promise<void> {
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
    const outcome = outcomeOf(calls, task.max_run_time_sec, ref.startedAt);
    this.deps.metrics.callbackEnded(task.task_server_id, now - ref.startedAt);
    this.deps.log.debug("callback answered", {
      state: RunState[outcome.state],
      route: outcome.answer.route,
      http_status: outcome.answer.httpStatus,
      duration_ms: now - ref.startedAt,
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
