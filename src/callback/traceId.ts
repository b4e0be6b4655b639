import { randomFillSync } from "node:crypto";

// The original's trace header: on API requests and answers, and on every
// callback and heartbeat (the run's trace id).
export const TRACE_ID = "x-easy-task-trace-id";
// W3C Trace Context (https://www.w3.org/TR/trace-context/), which tracing
// tools follow: `00-<trace id>-<parent span id>-<flags>`.
export const TRACEPARENT = "traceparent";

// Every callback takes two ids: drawing them from a pool refilled 4 KiB at a
// time costs a fraction of a randomBytes call each (randomBytes was 3% of the
// node's CPU in a burst).
const pool = Buffer.allocUnsafe(4096);
let taken = pool.length;

const hex = (bytes: number) => {
  for (;;) {
    if (taken + bytes > pool.length) {
      randomFillSync(pool);
      taken = 0;
    }
    const id = pool.toString("hex", taken, (taken += bytes));
    // All zeros is W3C's invalid id.
    if (!/^0+$/.test(id)) return id;
  }
};

// A W3C trace id (32 lowercase hex characters), so the same id works in
// x-easy-task-trace-id, in traceparent and in a tracing tool.
export const newTraceId = () => hex(16);
export const newSpanId = () => hex(8);

const TRACEPARENT_FORMAT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

// The trace id of a traceparent header, when it is a valid one (version ff
// and all-zero ids are invalid; a later version may append fields).
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = TRACEPARENT_FORMAT.exec(traceparent?.trim() ?? "");
  if (!m || m[1] === "ff" || (m[1] === "00" && m[5] !== undefined) || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return m[2];
}

// The headers of a call to a task server within a trace: both the
// original's header and traceparent (a new span, sampled), with one id.
export function traceHeaders(traceId: string): Record<string, string> {
  return { [TRACE_ID]: traceId, [TRACEPARENT]: `00-${traceId}-${newSpanId()}-01` };
}
