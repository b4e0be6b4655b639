import { createConnection, type Connection } from "mysql2/promise";
import type { Logger } from "../log/log.js";

// What easytask needs on its database: its tables are created and altered
// at start, and DROP is what RENAME TABLE asks of the original's tables when
// it takes a database of easytask (Go) over.
export const GRANTS = "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP";

const quoteName = (name: string) => "`" + name.replaceAll("`", "``") + "`";
// CURRENT_USER() is user@host as the server matched it.
const quoteAccount = (account: string) => {
  const at = account.lastIndexOf("@");
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  return at < 0 ? quote(account) : `${quote(account.slice(0, at))}@${quote(account.slice(at + 1))}`;
};

// The SQL an administrator runs to give `account` a database of its own.
export function setupSql(database: string, account: string): string {
  return [`CREATE DATABASE IF NOT EXISTS ${quoteName(database)} CHARACTER SET utf8mb4;`, `GRANT ${GRANTS} ON ${quoteName(database)}.* TO ${account};`].join("\n");
}

const code = (err: unknown) => (err as { code?: string }).code;

async function canUse(url: string): Promise<"yes" | "missing" | "denied" | "other"> {
  try {
    await (await createConnection({ uri: url, connectTimeout: 10_000 })).end();
    return "yes";
  } catch (err) {
    // A user with no grant on a database is told "access denied" whether or not it exists.
    return code(err) === "ER_BAD_DB_ERROR" ? "missing" : code(err) === "ER_DBACCESS_DENIED_ERROR" ? "denied" : "other";
  }
}

// Creates the database named in the URL when it does not exist and the user
// may create it; otherwise fails with the SQL an administrator must run.
// Other connection errors are left to the first query to report.
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.slice(1));
  const before = database === "" ? "yes" : await canUse(url);
  if (before === "yes" || before === "other") return;
  target.pathname = "/";
  let conn: Connection;
  try {
    conn = await createConnection({ uri: target.toString(), connectTimeout: 10_000 });
  } catch {
    return;
  }
  let problem: string;
  try {
    await conn.query(`CREATE DATABASE ${quoteName(database)} CHARACTER SET utf8mb4`);
    log.info("created the database, which did not exist", { database });
    if ((await canUse(url)) === "yes") return;
    problem = "it was created, but the user has no grants on it";
  } catch (err) {
    problem = code(err) === "ER_DB_CREATE_EXISTS" ? "it exists, but the user has no grants on it" : `${before === "missing" ? "it does not exist" : "it does not exist, or the user has no grants on it"}, and the user may not create it (${(err as Error).message})`;
  }
  try {
    const [rows] = await conn.query("SELECT CURRENT_USER() AS account");
    const account = quoteAccount(String((rows as { account: string }[])[0]?.account ?? target.username));
    throw new Error(`${account} cannot use database ${quoteName(database)} on ${target.host}: ${problem}. Have an administrator run, then start again:\n${setupSql(database, account)}`);
  } finally {
    await conn.end();
  }
}
