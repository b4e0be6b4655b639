import { OverlapPolicy, RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { retryDelayMs, type RetryBackoff } from "./retryDelay.js";
import { RETRIED_STATES } from "./runStates.js";

// The task columns that decide what follows the end of an attempt.
export interface FinishPolicyColumns extends RetryBackoff {
  state: number;
  sched_mode: number;
  time_interval_sec: number;
  max_retries: number;
  overlap_policy: number;
}

export interface FinishPlan {
  // A retry attempt, due then.
  retryAt?: number;
  // FIXED_DELAY: the task's next slot, one delay after this run ended.
  nextFireAt?: number;
  // QUEUE_ONE: the run queued while this one was open starts now.
  startQueuedRun: boolean;
}

// Decides what follows attempt `attempt` of a run ending in `state` (a
// terminal state) at `now`, from the task's policies alone. A retry takes the
// place of everything else: the run is not over yet.
export function planFinish(task: FinishPolicyColumns, attempt: number, state: RunState, now: number): FinishPlan {
  if (RETRIED_STATES.includes(state) && attempt <= task.max_retries && task.state !== TaskState.STOPPED) {
    return { retryAt: now + retryDelayMs(task, attempt), startQueuedRun: false };
  }
  return {
    nextFireAt: task.sched_mode === SchedMode.FIXED_DELAY ? now + task.time_interval_sec * 1000 : undefined,
    startQueuedRun: task.overlap_policy === OverlapPolicy.QUEUE_ONE,
  };
}
