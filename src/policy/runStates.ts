import { RunState } from "../../gen/easytask/v1/task_pb.js";

// Every run state in exactly one group (test/unit/runStates.test.ts checks
// it), so a new state cannot be forgotten by the code that asks "is it open?".
export const RUN_STATE_GROUPS = {
  // Waiting for its due time: a retry or a triggered run.
  waiting: [RunState.PENDING],
  // The callback is in flight, or the task server has yet to confirm.
  open: [RunState.RUNNING, RunState.ASYNC_WAITING],
  // Ended with the task server's answer, or its absence: retried per policy.
  retried: [RunState.FAILED, RunState.TIMEOUT],
  succeeded: [RunState.SUCCEEDED],
  // Ended by someone else than the task server: never retried.
  cut: [RunState.ABORTED, RunState.KILLED, RunState.CANCELED],
  // Not a state a run is ever in.
  none: [RunState.UNSPECIFIED],
} as const satisfies Record<string, readonly RunState[]>;

export const OPEN_STATES: RunState[] = [...RUN_STATE_GROUPS.open];
export const RETRIED_STATES: RunState[] = [...RUN_STATE_GROUPS.retried];
// Ended, whichever way.
export const ENDED_STATES: RunState[] = [...RUN_STATE_GROUPS.retried, ...RUN_STATE_GROUPS.succeeded, ...RUN_STATE_GROUPS.cut];
