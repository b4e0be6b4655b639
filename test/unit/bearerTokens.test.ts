import assert from "node:assert/strict";
import { test } from "node:test";
import { bearerTokens } from "../../src/server/auth.js";

test("without tokens every call is let through", () => {
  const authorize = bearerTokens([]);
  assert.equal(authorize(undefined), true);
  assert.equal(authorize("Bearer anything"), true);
});

test("only a bearer header naming a configured token passes", () => {
  const a = "token-a-0123456789";
  const b = "token-b-0123456789";
  const authorize = bearerTokens([a, b]);
  assert.equal(authorize(`Bearer ${a}`), true);
  assert.equal(authorize(`Bearer ${b}`), true);
  assert.equal(authorize(`bearer ${a}`), true, "the scheme is case-insensitive");
  for (const bad of [undefined, null, "", a, `Bearer ${a}x`, `Bearer ${a.slice(0, -1)}`, `Basic ${a}`, "Bearer ", `Bearer ${a} ${b}`, `Bearer ${a.toUpperCase()}`]) {
    assert.equal(authorize(bad), false, String(bad));
  }
});
