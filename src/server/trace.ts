import { newTraceId, TRACE_ID, TRACEPARENT, traceIdOf } from "../callback/traceId.js";
import type { IncomingHttpHeaders } from "node:http";

export const TRACE_HEADERS = [TRACE_ID, "x-easy-task-trace-span-id", "x-easy-task-trace-parent-span-id"] as const;

const SAFE = /^[\x21-\x7e]{1,128}$/;

// Takes the caller's trace (a valid traceparent first, then
// x-easy-task-trace-id) or starts one, writes its id into the request's
// x-easy-task-trace-id so every handler sees one, and returns the headers
// to echo on the response.
export function adoptTrace(headers: IncomingHttpHeaders): { traceId: string; echo: [string, string][] } {
  const given = headers[TRACE_ID];
  const parent = headers[TRACEPARENT];
  const traceId = traceIdOf(typeof parent === "string" ? parent : undefined) ?? (typeof given === "string" && SAFE.test(given) ? given : newTraceId());
  headers[TRACE_ID] = traceId;
  const echo: [string, string][] = [];
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (typeof value === "string" && SAFE.test(value)) echo.push([name, value]);
  }
  return { traceId, echo };
}
