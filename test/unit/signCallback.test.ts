import assert from "node:assert/strict";
import { test } from "node:test";
import { signatureHeaders } from "../../src/callback/signing.js";

// Computed with `openssl dgst -sha256 -hmac`, so the scheduler and every SDK
// check against the same independent answer. The body's non-ASCII text is
// signed as the UTF-8 bytes that go on the wire.
const VECTOR = {
  secret: "test-secret-0123456789",
  timestamp: "1700000000",
  body: '{"cmd":1,"task_id":"7","task_name":"ünïcode ✓","arg":"","run_times":1,"biz_id":""}',
  signature: "v1=c38d81efedf3dc62d620f156d1a1e268acf24d3ae83455385897016df3c22954",
};

test("signs timestamp.body with HMAC-SHA256 of the secret, in whole unix seconds", () => {
  assert.deepEqual(signatureHeaders(VECTOR.secret, VECTOR.body, 1_700_000_000_999), {
    "x-easytask-timestamp": VECTOR.timestamp,
    "x-easytask-signature": VECTOR.signature,
  });
});

test("without a secret, nothing is added", () => {
  assert.deepEqual(signatureHeaders(null, VECTOR.body, 1_700_000_000_000), {});
});
