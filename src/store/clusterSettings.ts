import type { Db } from "./database.js";
import { orKeep } from "./dialect.js";

// Records `value` for `name` unless a value is recorded already, and returns
// the recorded one: the first node to start sets what the others must match.
export async function agreeOnSetting(db: Db, name: string, value: string): Promise<string> {
  await orKeep(db, db.kysely.insertInto("cluster_setting").values({ name, value }), ["name"]).execute();
  const row = await db.kysely.selectFrom("cluster_setting").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return row.value;
}
