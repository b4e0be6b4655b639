import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { sql } from "kysely";
import { openStore } from "../../src/store/openStore.js";
import { runEasytask } from "../support/processNode.js";

// docs/DEPLOYMENT.md, Upgrades: migrations only go forward, and a version
// older than the database's schema refuses to start rather than run on
// tables it does not know; the database is left as it was.
test("an older easytask on a database migrated by a newer one exits 1 naming the migration it lacks, and changes nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), "easytask-downgrade-"));
  const path = join(dir, "easytask.db");
  try {
    // As a newer version would leave it: one migration more than this build has.
    const newer = await openStore({ kind: "sqlite", path });
    await sql`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_version', ${new Date().toISOString()})`.execute(newer.kysely);
    const migrated = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(newer.kysely);
    await newer.close();

    const { code, stderr } = await runEasytask([], { EASYTASK_SQLITE__PATH: path, EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1", EASYTASK_API_SERVER__HTTP__PORT: "0" });
    assert.equal(code, 1);
    assert.match(stderr, /previously executed migration 9999_from_a_newer_version is missing/);

    const db = new Database(path, { readonly: true });
    assert.deepEqual(db.prepare("select name from kysely_migration order by name").all(), migrated.rows);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
