import assert from "node:assert/strict";
import { test } from "node:test";
import { apiTokens } from "../../src/config/config.js";
import { bearerTokens } from "../../src/server/auth.js";

test("without tokens every call is let through, as anonymous with every right", () => {
  const authorize = bearerTokens([]);
  assert.deepEqual(authorize(undefined), { name: "anonymous", role: "admin" });
  assert.deepEqual(authorize("Bearer anything"), { name: "anonymous", role: "admin" });
});

test("only a bearer header naming a configured token passes, and it names the token and its role", () => {
  const a = "token-a-0123456789";
  const b = "token-b-0123456789";
  const authorize = bearerTokens(apiTokens([a, { name: "dashboards", token: b, role: "viewer" }]));
  assert.deepEqual(authorize(`Bearer ${a}`), { name: "auth.tokens[0]", role: "admin" }, "a bare string is an admin token named by its place");
  assert.deepEqual(authorize(`Bearer ${b}`), { name: "dashboards", role: "viewer" });
  assert.deepEqual(authorize(`bearer ${a}`), { name: "auth.tokens[0]", role: "admin" }, "the scheme is case-insensitive");
  for (const bad of [undefined, null, "", a, `Bearer ${a}x`, `Bearer ${a.slice(0, -1)}`, `Basic ${a}`, "Bearer ", `Bearer ${a} ${b}`, `Bearer ${a.toUpperCase()}`]) {
    assert.equal(authorize(bad), undefined, String(bad));
  }
});
