import assert from "node:assert/strict";
import { test } from "node:test";
import { newTraceId, TRACE_ID, TRACEPARENT, traceHeaders, traceIdOf } from "../../src/callback/traceId.js";

test("trace ids are W3C trace ids", () => {
  const ids = new Set(Array.from({ length: 100 }, newTraceId));
  assert.equal(ids.size, 100);
  for (const id of ids) assert.match(id, /^(?!0{32})[0-9a-f]{32}$/);
});

test("a call's headers carry one trace id in both headers, with a new span each time", () => {
  const id = newTraceId();
  const [a, b] = [traceHeaders(id), traceHeaders(id)];
  assert.equal(a[TRACE_ID], id);
  assert.match(a[TRACEPARENT]!, new RegExp(`^00-${id}-[0-9a-f]{16}-01$`));
  assert.equal(traceIdOf(a[TRACEPARENT]), id);
  assert.notEqual(a[TRACEPARENT], b[TRACEPARENT]);
});

test("only a valid traceparent names a trace", () => {
  const id = "4bf92f3577b34da6a3ce929d0e0e4736";
  assert.equal(traceIdOf(`00-${id}-00f067aa0ba902b7-01`), id);
  assert.equal(traceIdOf(`00-${id}-00f067aa0ba902b7-00`), id, "not sampled is still a trace");
  assert.equal(traceIdOf(`01-${id}-00f067aa0ba902b7-01-later-fields`), id, "a later version may add fields");
  for (const bad of [
    undefined,
    "",
    `00-${id}-00f067aa0ba902b7-01-extra`,
    `ff-${id}-00f067aa0ba902b7-01`,
    `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
    `00-${id}-${"0".repeat(16)}-01`,
    `00-${id.toUpperCase()}-00f067aa0ba902b7-01`,
    `00-${id.slice(1)}-00f067aa0ba902b7-01`,
    `00_${id}_00f067aa0ba902b7_01`,
  ]) {
    assert.equal(traceIdOf(bad), undefined, String(bad));
  }
});
