import assert from "node:assert/strict";
import { after, test } from "node:test";
import { sql } from "kysely";
import { openStore, type StoreConfig } from "../../src/store/openStore.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";

after(stopSharedMariaDb);

for (const dialect of DIALECTS) {
  test(`migration 0004_console creates route_eviction, also on a database that ran 0005 first, on ${dialect}`, async () => {
    const { store, cleanup } = await freshStore(dialect);
    const config: StoreConfig = store.kind === "sqlite" ? store : { kind: "mysql", url: store.url };
    try {
      // As migrated by a build that had 0005 but not yet 0004.
      const before = await openStore(config);
      await sql`drop table route_eviction`.execute(before.kysely);
      await sql`delete from kysely_migration where name = '0004_console'`.execute(before.kysely);
      await before.close();

      const after = await openStore(config);
      try {
        const names = (await sql<{ name: string }>`select name from kysely_migration order by name`.execute(after.kysely)).rows.map((r) => r.name);
        assert.ok(names.includes("0004_console") && names.includes("0005_callback_secret"), names.join());
        assert.deepEqual(await after.kysely.selectFrom("route_eviction").selectAll().execute(), []);
      } finally {
        await after.close();
      }
    } finally {
      cleanup();
    }
  });
}
