import type { IncomingHttpHeaders } from "node:http";

/** What a handler knows about the callback it runs for, beside the task. */
export interface TaskContext {
  /** The request's path: the task's callback_path. */
  path: string;
  /**
   * `<task_id>:<run_times>:<attempt>` (the x-easytask-run-id header): the same
   * when a run's callback is sent again, so a task server can tell a retry it
   * already ran. Empty when the scheduler sent none.
   */
  runId: string;
  /**
   * The run's trace id, as on the scheduler's log lines about it: from a valid
   * W3C traceparent header, else x-easy-task-trace-id; empty without either.
   */
  traceId: string;
  /** Aborted when the scheduler cuts the call (the callback timed out, the run was killed, its task stopped). */
  signal: AbortSignal;
}

// version-traceid-parentid-flags; versions after 00 may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZEROS = /^0+$/;

const one = (value: string | string[] | undefined): string => (typeof value === "string" ? value : "");

export function traceIdOf(headers: IncomingHttpHeaders): string {
  const m = TRACEPARENT.exec(one(headers.traceparent));
  if (m) {
    const [, version, traceId, spanId, more] = m;
    if (version !== "ff" && !(version === "00" && more !== undefined) && !ZEROS.test(traceId) && !ZEROS.test(spanId)) return traceId;
  }
  return one(headers["x-easy-task-trace-id"]);
}

export function callbackContext(path: string, headers: IncomingHttpHeaders, signal: AbortSignal): TaskContext {
  return { path, runId: one(headers["x-easytask-run-id"]), traceId: traceIdOf(headers), signal };
}
