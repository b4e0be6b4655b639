import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Logger } from "../log.js";
import { routeUrl } from "../registry/routeUrl.js";
import { selectRandomRoute } from "../registry/selectRoute.js";
import type { Clock } from "../service/ports.js";
import type { Db } from "../store/database.js";
import { recordCallbackResult, type CallbackResult } from "../store/taskLogs.js";
import type { RouteRow } from "../store/taskServers.js";
import type { TaskRow } from "../store/tasks.js";
import { newTraceId, TRACE_ID } from "../server/trace.js";
import { CallbackTimeout, type CallbackClient } from "./callbackClient.js";
import { parseTaskAnswer, taskCallbackBody, type CmdNumbering } from "./callbackProtocol.js";

export interface ClaimedRun {
  task: TaskRow;
  runTimes: number;
}

export interface DispatcherDeps {
  db: Db;
  clock: Clock;
  client: CallbackClient;
  numbering: CmdNumbering;
  poolSize: number;
  log: Logger;
}

type Outcome = Omit<CallbackResult, "taskId" | "runTimes" | "attempt" | "finishedAt">;

const TASK_STOPPED = "task stopped";

// Routes that failed their last heartbeat are skipped while a healthy one is
// left; evicted routes are already gone from the registry.
const healthy = (routes: RouteRow[]) => {
  const passing = routes.filter((r) => r.failed_health_checks === 0);
  return passing.length > 0 ? passing : routes;
};

// Calls task servers back for claimed runs, at most poolSize at a time, and
// records each answer. Tracks the calls in flight so a stopped task's
// callback can be aborted.
export class Dispatcher {
  private readonly inFlight = new Map<number, Set<AbortController>>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {}

  get free(): number {
    return Math.max(0, this.deps.poolSize - this.running.size);
  }

  dispatch(run: ClaimedRun, routes: RouteRow[]): void {
    const done = this.call(run, routes).catch((err) => this.deps.log.error("recording a run failed", { err, task_id: run.task.id, run_times: run.runTimes }));
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  abortTask(taskId: number): void {
    for (const controller of this.inFlight.get(taskId) ?? []) controller.abort(new Error(TASK_STOPPED));
  }

  // Waits for calls in flight, up to the deadline.
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running]), deadline]);
    clearTimeout(timer);
  }

  private async call({ task, runTimes }: ClaimedRun, routes: RouteRow[]): Promise<void> {
    const route = selectRandomRoute(healthy(routes));
    const outcome = route ? await this.post(task, runTimes, route) : failed("", 0, "", "task server has no routes");
    await recordCallbackResult(this.deps.db, { taskId: task.id, runTimes, attempt: 1, finishedAt: this.deps.clock.now(), ...outcome });
  }

  private async post(task: TaskRow, runTimes: number, route: RouteRow): Promise<Outcome> {
    const base = routeUrl(route);
    const url = base + (task.callback_path || "/");
    const controller = new AbortController();
    const calls = this.inFlight.get(task.id) ?? new Set();
    this.inFlight.set(task.id, calls.add(controller));
    try {
      const body = taskCallbackBody(this.deps.numbering, { taskId: task.id, taskName: task.name, arg: task.arg, runTimes, bizId: task.biz_id });
      const answer = await this.deps.client.postJson(url, body, {
        timeoutMs: route.callback_timeout_sec * 1000,
        signal: controller.signal,
        headers: { [TRACE_ID]: newTraceId(), "x-easytask-run-id": `${task.id}:${runTimes}:1` },
      });
      if (answer.status < 200 || answer.status > 299) return failed(base, answer.status, answer.body, `task server answered HTTP ${answer.status}`);
      let parsed;
      try {
        parsed = parseTaskAnswer(answer.body);
      } catch (err) {
        return failed(base, answer.status, answer.body, (err as Error).message);
      }
      const state = parsed.isRunInAsync ? RunState.ASYNC_WAITING : parsed.isSuccess ? RunState.SUCCEEDED : RunState.FAILED;
      return { state, route: base, httpStatus: answer.status, response: answer.body, error: "", isSuccess: parsed.isSuccess, extra: parsed.extra };
    } catch (err) {
      if (controller.signal.aborted) return { ...failed(base, 0, "", TASK_STOPPED), state: RunState.ABORTED };
      const reason = err instanceof CallbackTimeout ? `callback timed out: ${err.message}` : `callback failed: ${(err as Error).message}`;
      return failed(base, 0, "", reason);
    } finally {
      calls.delete(controller);
      if (calls.size === 0) this.inFlight.delete(task.id);
    }
  }
}

function failed(route: string, httpStatus: number, response: string, error: string): Outcome {
  return { state: RunState.FAILED, route, httpStatus, response, error, isSuccess: false, extra: "" };
}
