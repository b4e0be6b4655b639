import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Logger } from "../log/log.js";
import type { Db } from "../store/database.js";
import { finishAttempt, listExpiredRuns } from "../store/taskLogs.js";
import type { Dispatcher } from "./dispatcher.js";
import type { Clock } from "../clock.js";
import type { ShardSet } from "./shardSet.js";

export interface SweeperDeps {
  db: Db;
  clock: Clock;
  dispatcher: Pick<Dispatcher, "isInFlight" | "reconcile">;
  shards: Pick<ShardSet, "filter">;
  log: Logger;
}

const BATCH = 500;

// Closes what nobody else will: async runs never confirmed in time, and
// RUNNING runs past their deadline whose callback is not in flight here (the
// leader calling it died). Each becomes TIMEOUT, which retries per the task's
// policy. Also cuts local callbacks of runs closed through other nodes.
export async function sweepOnce(deps: SweeperDeps): Promise<number> {
  const { db, clock, dispatcher, shards } = deps;
  await dispatcher.reconcile();
  const now = clock.now();
  let closed = 0;
  for (const run of await listExpiredRuns(db, now, shards.filter(), BATCH)) {
    const ref = { taskId: run.task_id, runTimes: run.run_times, attempt: run.attempt };
    if (dispatcher.isInFlight(ref)) continue;
    const error =
      run.state === RunState.ASYNC_WAITING
        ? "not confirmed before the run's deadline (max_run_time_sec)"
        : "no answer recorded before the callback's deadline (the scheduler calling it may have stopped)";
    if (await finishAttempt(db, ref, { state: RunState.TIMEOUT, fields: { error, finished_at: now } }, [run.state], now)) closed++;
  }
  return closed;
}

export async function runSweeper(deps: SweeperDeps, intervalMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const closed = await sweepOnce(deps);
      if (closed > 0) deps.log.info("timed out open runs", { runs: closed });
    } catch (err) {
      deps.log.error("sweeping open runs failed; retrying", { err });
    }
    await deps.clock.sleep(intervalMs, signal);
  }
}
