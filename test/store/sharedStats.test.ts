import assert from "node:assert/strict";
import { test } from "node:test";
import { sharedStats, STATS_REUSE_MS } from "../../src/service/stats.js";
import { openStore } from "../../src/store/openStore.js";
import { freshStore } from "../support/node.js";
import { TestClock } from "../support/testClock.js";

test("one stats answer serves every caller for STATS_REUSE_MS, then it is read again", async () => {
  const { store: config, cleanup } = await freshStore("sqlite");
  const store = await openStore(config);
  try {
    const clock = new TestClock(Date.now());
    const stats = sharedStats(store, clock);
    const first = await stats();
    const [a, b] = await Promise.all([stats(), stats()]);
    assert.equal(a, first);
    assert.equal(b, first);
    await store.kysely.insertInto("task_server").values({ name: "new", created_at: clock.now() }).execute();
    await clock.advance(STATS_REUSE_MS - 1);
    assert.equal((await stats()).taskServers, 0, "still the reused answer");
    await clock.advance(1);
    const fresh = await stats();
    assert.notEqual(fresh, first);
    assert.equal(fresh.taskServers, 1);
  } finally {
    await store.close();
    cleanup();
  }
});
