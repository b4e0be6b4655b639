import { AlertDelivery, AlertKind } from "../../gen/easytask/v1/cluster_pb.js";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Clock } from "../clock.js";
import type { AlertSettings } from "../config/config.js";
import type { Logger } from "../log/log.js";
import { withoutLogFields } from "../log/context.js";
import { closeAlert, failingStreak, raiseAlert, setDelivery } from "../store/alerts.js";
import type { Db, RunEnd } from "../store/database.js";
import { getTask } from "../store/tasks.js";
import { taskServerName } from "../store/taskServers.js";
import { postAlert } from "./webhook.js";

export interface AlertsDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  settings: AlertSettings;
}

export interface RouteEviction {
  taskServerId: number;
  // scheme://host:port
  route: string;
  failures: number;
}

const FAILED = [RunState.FAILED, RunState.TIMEOUT];
// Work waiting at most; more is dropped (and said so in the log) rather
// than held: alerts must never hold up or break the scheduling.
const MAX_WAITING = 1000;
const MAX_ERROR_SHOWN = 300;

const failingKey = (taskId: number) => `task_failing:${taskId}`;

// Raises alerts (a task failing runs in a row, a route evicted), records
// them and posts them to the webhook. The engine only tells it what
// happened; the checks and posts run here, one at a time, off the
// scheduler's path. A failing streak is read from task_log, and an alert's
// uniqueness kept by the database, so any node may see the run that
// completes a streak and the alert is raised once.
export class Alerts {
  private readonly tasks = new Set<number>();
  private readonly evictions: RouteEviction[] = [];
  private working: Promise<void> | undefined;
  private dropping = false;
  // Cuts a post in flight when the node stops.
  private readonly stopping = new AbortController();

  constructor(private readonly deps: AlertsDeps) {}

  // Attempts ended (on this node): a failure may complete a failing streak.
  runsEnded(ends: RunEnd[]): void {
    if (this.deps.settings.failingRunsInARow === 0) return;
    for (const { taskId, state } of ends) {
      if (!FAILED.includes(state) || this.tasks.has(taskId) || this.full()) continue;
      this.tasks.add(taskId);
      this.wake();
    }
  }

  routeEvicted(eviction: RouteEviction): void {
    if (this.full()) return;
    this.evictions.push(eviction);
    this.wake();
  }

  // Drops what waits, cuts a post in flight (recorded failed) and resolves
  // once the work in hand is over.
  async stop(): Promise<void> {
    this.tasks.clear();
    this.evictions.length = 0;
    this.stopping.abort();
    while (this.working) await this.working;
  }

  private full(): boolean {
    const full = this.tasks.size + this.evictions.length >= MAX_WAITING;
    if (full && !this.dropping) this.deps.log.warn("alerts: too much waiting to be checked; dropping until it is done", { waiting: MAX_WAITING });
    this.dropping = full;
    return full;
  }

  private wake(): void {
    // Its lines are about no one request or run.
    this.working ??= withoutLogFields(() => this.work());
  }

  private async work(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.tasks.size > 0 || this.evictions.length > 0) {
      const eviction = this.evictions.shift();
      const taskId = eviction ? undefined : this.tasks.values().next().value;
      if (taskId !== undefined) this.tasks.delete(taskId);
      try {
        if (eviction) await this.evicted(eviction);
        else if (taskId !== undefined) await this.checkTask(taskId);
      } catch (err) {
        this.deps.log.error("alerts: checking or recording an alert failed", { err, task_id: taskId });
      }
    }
    this.working = undefined;
  }

  private async checkTask(taskId: number): Promise<void> {
    const { db, settings } = this.deps;
    const n = settings.failingRunsInARow;
    const streak = await failingStreak(db, taskId, n);
    // A streak broken since: the next one raises a new alert.
    if (streak.runs < n) return closeAlert(db, failingKey(taskId));
    const task = await getTask(db, taskId);
    if (!task) return;
    const lastError = streak.lastError ? streak.lastError.slice(0, MAX_ERROR_SHOWN) : "the task server answered is_success false";
    const text = `easytask: task "${task.name}" (id ${taskId}, task server ${task.srv_name}) failed ${n} runs in a row; the last: ${lastError}`;
    const alert = { kind: "task_failing", task_id: String(taskId), task_name: task.name, biz_id: task.biz_id, task_server: task.srv_name, failed_runs: n, last_error: lastError };
    await this.raise({ kind: AlertKind.TASK_FAILING, task_id: taskId, task_server: task.srv_name, route: "", text, open_key: failingKey(taskId) }, alert);
  }

  private async evicted(e: RouteEviction): Promise<void> {
    const name = (await taskServerName(this.deps.db, e.taskServerId)) ?? `#${e.taskServerId}`;
    const text = `easytask: route ${e.route} of task server ${name} was evicted after ${e.failures} failed heartbeats; it gets no callbacks until registered again`;
    const alert = { kind: "route_evicted", task_server: name, route: e.route, failed_heartbeats: e.failures };
    await this.raise({ kind: AlertKind.ROUTE_EVICTED, task_id: 0, task_server: name, route: e.route, text, open_key: null }, alert);
  }

  private async raise(row: { kind: AlertKind; task_id: number; task_server: string; route: string; text: string; open_key: string | null }, alert: Record<string, unknown>): Promise<void> {
    const { db, clock, log, settings } = this.deps;
    const at = clock.now();
    const delivery = settings.webhookUrl ? AlertDelivery.PENDING : AlertDelivery.NO_WEBHOOK;
    const id = await raiseAlert(db, { ...row, at, delivery, delivery_error: "" });
    // Raised already (by this node or another) for this streak.
    if (id === undefined) return;
    log.warn("alert", { alert_id: id, text: row.text });
    if (!settings.webhookUrl) return;
    const timeoutMs = settings.webhookTimeoutSec * 1000;
    try {
      await postAlert(settings.webhookUrl, { text: row.text, alert: { ...alert, at: new Date(at).toISOString() } }, AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stopping.signal]));
      await setDelivery(db, id, AlertDelivery.SENT, "");
    } catch (err) {
      const reason = this.stopping.signal.aborted ? "the node stopped before the webhook answered" : err instanceof Error && err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : describe(err);
      log.warn("alerts: posting to the webhook failed", { alert_id: id, reason });
      await setDelivery(db, id, AlertDelivery.FAILED, reason);
    }
  }
}

// fetch says "fetch failed" and keeps the reason in its cause.
function describe(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ? `${e.message}: ${e.cause.message}` : e.message;
}
