import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Call } from "../callback/taskCall.js";

// Async runs not confirmed within max_run_time_sec, or this when it is 0.
export const DEFAULT_ASYNC_TIMEOUT_SEC = 24 * 3600;

// What the run log keeps of the answers, whatever the outcome.
export interface RunAnswer {
  route: string;
  httpStatus: number;
  response: string;
}

export interface RunOutcome {
  // A terminal state, or ASYNC_WAITING.
  state: RunState;
  answer: RunAnswer;
  error: string;
  extra: string;
  // ASYNC_WAITING: confirmations still to come, and until when.
  pendingConfirms?: number;
  deadlineAt?: number;
}

// One run's outcome from its calls: with several (BROADCAST) it succeeds
// when all succeed and waits for one confirmation per async answer.
export function outcomeOf(calls: Call[], maxRunTimeSec: number, startedAt: number): RunOutcome {
  const single = calls.length === 1;
  const answer: RunAnswer = {
    route: calls.map((c) => c.route).join(","),
    httpStatus: Math.max(...calls.map((c) => c.status)),
    response: single ? calls[0].body : JSON.stringify(calls.map((c) => ({ route: c.route, http_status: c.status, response: c.body }))),
  };
  const answers = calls.filter((c): c is Extract<Call, { kind: "answer" }> => c.kind === "answer");
  const failed = calls.filter((c): c is Extract<Call, { kind: "failed" }> => c.kind === "failed");
  const refused = answers.filter((c) => !c.async && !c.success);
  const asyncCount = answers.filter((c) => c.async).length;
  const error = failed.map((c) => (single ? c.error : `${c.route || "-"}: ${c.error}`)).join("; ");
  const extra = answers.map((c) => c.extra).filter(Boolean).join("\n");
  // Cut by a stop, kill or shutdown: whether the task server ran it is
  // unknown, so it is not retried.
  if (failed.some((c) => c.aborted)) return { state: RunState.ABORTED, answer, error, extra };
  if (failed.length + refused.length > 0) {
    const state = refused.length === 0 && failed.every((c) => c.timeout) ? RunState.TIMEOUT : RunState.FAILED;
    return { state, answer, error, extra };
  }
  if (asyncCount > 0) {
    const deadlineAt = startedAt + (maxRunTimeSec || DEFAULT_ASYNC_TIMEOUT_SEC) * 1000;
    return { state: RunState.ASYNC_WAITING, answer, error: "", extra: "", pendingConfirms: asyncCount, deadlineAt };
  }
  return { state: RunState.SUCCEEDED, answer, error: "", extra };
}
