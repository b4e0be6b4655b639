import type { Clock } from "../clock.js";
import { CallbackTimeout, type CallbackClient } from "./client.js";
import { parseTaskAnswer, taskCallbackBody, type CmdNumbering, type TaskCall } from "./protocol.js";
import { signatureHeaders } from "./signing.js";
import { traceHeaders } from "./traceId.js";

// What one route answered to a task callback.
export type Call =
  | { kind: "answer"; route: string; status: number; body: string; async: boolean; success: boolean; extra: string; error: string }
  | { kind: "failed"; route: string; status: number; body: string; error: string; timeout: boolean; aborted?: boolean };

export interface CallTarget {
  // scheme://host:port of the route.
  base: string;
  path: string;
  secret: string | null;
  timeoutMs: number;
}

export interface CallIds {
  traceId: string;
  // task:run_times:attempt, for the task server to tell a repeated attempt.
  runId: string;
}

// POSTs one task callback to one route and reads its answer. Never throws:
// every way the call can end is a Call the run log can record.
export async function callTask(
  client: CallbackClient,
  clock: Clock,
  numbering: CmdNumbering,
  target: CallTarget,
  call: TaskCall,
  ids: CallIds,
  signal: AbortSignal,
): Promise<Call> {
  const { base, timeoutMs } = target;
  const body = taskCallbackBody(numbering, call);
  try {
    const answer = await client.postJson(base + (target.path || "/"), body, {
      timeoutMs,
      signal,
      headers: { ...traceHeaders(ids.traceId), "x-easytask-run-id": ids.runId, ...signatureHeaders(target.secret, body, clock.now()) },
    });
    if (answer.status < 200 || answer.status > 299) {
      return { kind: "failed", route: base, status: answer.status, body: answer.body, error: `task server answered HTTP ${answer.status}`, timeout: false };
    }
    try {
      const parsed = parseTaskAnswer(answer.body);
      return { kind: "answer", route: base, status: answer.status, body: answer.body, async: parsed.isRunInAsync, success: parsed.isSuccess, extra: parsed.extra, error: "" };
    } catch (err) {
      return { kind: "failed", route: base, status: answer.status, body: answer.body, error: (err as Error).message, timeout: false };
    }
  } catch (err) {
    if (signal.aborted) return { kind: "failed", route: base, status: 0, body: "", error: "callback aborted", timeout: false, aborted: true };
    const timeout = err instanceof CallbackTimeout;
    return { kind: "failed", route: base, status: 0, body: "", error: timeout ? `callback timed out after ${timeoutMs} ms` : `callback failed: ${(err as Error).message}`, timeout };
  }
}
