import { newTraceId, TRACE_ID } from "../callback/traceId.js";
import type { IncomingHttpHeaders } from "node:http";

export const TRACE_HEADERS = [TRACE_ID, "x-easy-task-trace-span-id", "x-easy-task-trace-parent-span-id"] as const;

const SAFE = /^[\x21-\x7e]{1,128}$/;

// Takes the caller's trace headers (or starts a trace), writes the trace id
// back into the request so every handler sees one, and returns the headers
// to echo on the response.
export function adoptTrace(headers: IncomingHttpHeaders): { traceId: string; echo: [string, string][] } {
  const given = headers[TRACE_ID];
  const traceId = typeof given === "string" && SAFE.test(given) ? given : newTraceId();
  headers[TRACE_ID] = traceId;
  const echo: [string, string][] = [];
  for (const name of TRACE_HEADERS) {
    const value = headers[name];
    if (typeof value === "string" && SAFE.test(value)) echo.push([name, value]);
  }
  return { traceId, echo };
}
