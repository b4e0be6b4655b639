import assert from "node:assert/strict";
import { test } from "node:test";
import { exposureWarning, isLoopback } from "../../src/server/exposure.js";

test("loopback addresses are this machine only; anything else reaches the network", () => {
  for (const host of ["127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]) assert.equal(isLoopback(host), true, host);
  for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "fd00::5", "[fd00::5]", "::ffff:10.0.0.1", "example.internal", "128.0.0.1"]) assert.equal(isLoopback(host), false, host);
});

test("an open API beyond loopback is warned about with its address; tokens or loopback silence it", () => {
  assert.equal(exposureWarning("0.0.0.0", 8801, [])?.address, "0.0.0.0:8801");
  assert.equal(exposureWarning("::", 8801, [])?.address, "[::]:8801");
  assert.equal(exposureWarning("0.0.0.0", 8801, ["a-token-of-16-chars"]), undefined);
  assert.equal(exposureWarning("127.0.0.1", 8801, []), undefined);
});
