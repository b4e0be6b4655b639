import assert from "node:assert/strict";
import { test } from "node:test";
import { callbackTargets, checkAllowedHost } from "../../src/callback/targets.js";

test("no entries: every host is allowed, as in the original", () => {
  const open = callbackTargets([]);
  for (const host of ["169.254.169.254", "localhost", "[::1]"]) assert.equal(open.allows(host), true);
});

test("names match exactly or by wildcard suffix, case-insensitively and never by resolution", () => {
  const t = callbackTargets(["worker.local", "*.tasks.internal"]);
  assert.equal(t.allows("worker.local"), true);
  assert.equal(t.allows("WORKER.local"), true);
  assert.equal(t.allows("a.tasks.internal"), true);
  assert.equal(t.allows("a.b.tasks.internal"), true);
  assert.equal(t.allows("tasks.internal"), false, "the wildcard needs a label in front");
  assert.equal(t.allows("eviltasks.internal"), false);
  assert.equal(t.allows("a.tasks.internal.evil.com"), false);
  assert.equal(t.allows("worker.local.evil.com"), false);
  assert.equal(t.allows("127.0.0.1"), false, "an address is not matched by names");
});

test("addresses match CIDR ranges and single addresses, IPv4-mapped IPv6 as IPv4", () => {
  const t = callbackTargets(["10.0.0.0/8", "192.168.1.7", "fd00::/8", "[::1]"]);
  assert.equal(t.allows("10.255.0.1"), true);
  assert.equal(t.allows("11.0.0.1"), false);
  assert.equal(t.allows("192.168.1.7"), true);
  assert.equal(t.allows("192.168.1.8"), false);
  assert.equal(t.allows("[fd12::1]"), true);
  assert.equal(t.allows("fe80::1"), false);
  assert.equal(t.allows("[::1]"), true);
  assert.equal(t.allows("[::ffff:10.1.2.3]"), true);
  assert.equal(t.allows("[::ffff:169.254.169.254]"), false);
  assert.equal(t.allows("169.254.169.254"), false);
  assert.equal(t.allows("localhost"), false);
});

test("unusable entries are reported", () => {
  for (const bad of ["", "10.0.0.0/33", "10.0.0.0/x", "fd00::/129", "*.", "http://x", "a b", "nope/8"]) {
    assert.notEqual(checkAllowedHost(bad), undefined, bad);
  }
  for (const good of ["10.0.0.0/8", "::/0", "worker-1.local", "*.svc.cluster.local", "[::1]", "127.0.0.1"]) {
    assert.equal(checkAllowedHost(good), undefined, good);
  }
});
