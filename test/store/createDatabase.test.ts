import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createConnection, type Connection } from "mysql2/promise";
import { openStore } from "../../src/store/openStore.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { createGoDatabase } from "../support/goDatabase.js";

// mysql.dsn names a database that does not exist yet.

let mariadb: PrivateMariaDb;
let root: Connection;
const urlFor = (user: string, database: string) => `mysql://${user}@127.0.0.1:${mariadb.port}/${database}`;
const tablesOf = async (database: string) => ((await root.query("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1", [database]))[0] as { t: string }[]).map((r) => r.t);

before(async () => {
  mariadb = await startMariaDb();
  root = await createConnection(mariadb.url);
});
after(async () => {
  await root.end();
  await mariadb.stop();
});

test("created when the user may create it", async () => {
  await root.query("CREATE USER 'maker'@'%'");
  await root.query("GRANT ALL PRIVILEGES ON `et_made`.* TO 'maker'@'%'");
  const store = await openStore({ kind: "mysql", url: urlFor("maker", "et_made") });
  await store.close();
  assert.ok((await tablesOf("et_made")).includes("task"));
});

test("otherwise refused with the SQL to run, and that SQL is enough, the upgrade from easytask (Go) included", async () => {
  await root.query("CREATE USER 'app'@'%'");
  const refusal = await openStore({ kind: "mysql", url: urlFor("app", "et_app") }).then(
    () => assert.fail("opened"),
    (err: Error) => err.message,
  );
  const [message, ...sql] = refusal.split("\n");
  assert.equal(
    message,
    `'app'@'%' cannot use database \`et_app\` on 127.0.0.1:${mariadb.port}: it does not exist, or the user has no grants on it, and the user may not create it (Access denied for user 'app'@'%' to database 'et_app'). Have an administrator run, then start again:`,
  );
  assert.deepEqual(sql, ["CREATE DATABASE IF NOT EXISTS `et_app` CHARACTER SET utf8mb4;", "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP ON `et_app`.* TO 'app'@'%';"]);
  assert.deepEqual(await tablesOf("et_app"), [], "nothing was created");

  // What the message says, then the tables of an easytask (Go) user in it.
  for (const statement of sql) await root.query(statement);
  const { conn } = await createGoDatabase(mariadb.url, "et_app", { rows: true });
  await conn.end();
  const store = await openStore({ kind: "mysql", url: urlFor("app", "et_app") });
  await store.close();
  const tables = await tablesOf("et_app");
  assert.ok(tables.includes("easytask_go_task") && tables.includes("task_server"), tables.join());
});
