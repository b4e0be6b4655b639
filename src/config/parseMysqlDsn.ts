import { ConfigError } from "./errors.js";

export interface MysqlDsn {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** mysql://user:password@host:port/database, credentials percent-encoded. */
  url: string;
}

const DEFAULT_PORT = 3306;

// Messages never echo the DSN: it usually carries a password.
function bad(key: string, problem: string): never {
  throw new ConfigError(`config: ${key}: ${problem}`);
}

/**
 * Accepts the go-sql-driver form `user:password@tcp(host:port)/db?params` used by the
 * Go original's conf.json, and `mysql://user:pass@host:port/db?params` URLs.
 */
export function parseMysqlDsn(dsn: string, key = "mysql.dsn"): MysqlDsn {
  const parsed = /^mysql:\/\//i.test(dsn) ? fromUrl(dsn, key) : fromGoDsn(dsn, key);
  if (parsed.database === "") bad(key, "missing database name (expected .../dbname)");
  const { query, ...fields } = parsed;
  return { ...fields, url: buildUrl(fields, query) };
}

type Parts = Omit<MysqlDsn, "url"> & { query: string };

function fromUrl(dsn: string, key: string): Parts {
  let u: URL;
  try {
    u = new URL(dsn);
  } catch {
    return bad(key, "not a valid mysql:// URL");
  }
  const decode = (s: string, what: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return bad(key, `bad percent-encoding in the ${what}`);
    }
  };
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") bad(key, "missing host in the mysql:// URL");
  // Query parameters are kept: a mysql:// URL is written for a JS client and may carry its options.
  return {
    host,
    port: u.port === "" ? DEFAULT_PORT : checkPort(u.port, key),
    user: decode(u.username, "user name"),
    password: decode(u.password, "password"),
    database: decode(u.pathname.replace(/^\//, ""), "database name"),
    query: u.search,
  };
}

// Mirrors go-sql-driver's ParseDSN: the database follows the LAST '/', and credentials end at the
// LAST '@' before the address, so passwords may contain '@' and '/'.
function fromGoDsn(dsn: string, key: string): Parts {
  const slash = dsn.lastIndexOf("/");
  if (slash < 0) bad(key, "expected user:password@tcp(host:port)/dbname or a mysql:// URL");
  const head = dsn.slice(0, slash);
  const at = head.lastIndexOf("@");
  const creds = at < 0 ? "" : head.slice(0, at);
  const address = head.slice(at + 1);
  const colon = creds.indexOf(":");
  // charset/parseTime/loc and other Go driver params have no meaning here; we always use utf8mb4.
  const database = dsn.slice(slash + 1).split("?")[0]!;

  const net = /^(\w*)(?:\((.*)\))?$/.exec(address);
  if (!net) return bad(key, "expected tcp(host:port) between '@' and '/'");
  const [, protocol = "", addr = ""] = net;
  if (protocol === "unix") bad(key, "unix sockets are not supported; use tcp(host:port)");
  if (protocol !== "tcp" && protocol !== "") bad(key, `unsupported network "${protocol}"; use tcp(host:port)`);

  // Like the Go driver, an omitted address means the local default server.
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(addr)!;
  const host = hostPort[1]!.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = hostPort[2] === undefined ? DEFAULT_PORT : checkPort(hostPort[2], key);
  return {
    host,
    port,
    user: colon < 0 ? creds : creds.slice(0, colon),
    password: colon < 0 ? "" : creds.slice(colon + 1),
    database,
    query: "",
  };
}

function checkPort(text: string, key: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) bad(key, `port must be an integer 1..65535, got "${text}"`);
  return port;
}

function buildUrl(p: Omit<MysqlDsn, "url">, query: string): string {
  const enc = encodeURIComponent;
  const creds = p.user === "" && p.password === "" ? "" : `${enc(p.user)}${p.password === "" ? "" : `:${enc(p.password)}`}@`;
  const host = p.host.includes(":") ? `[${p.host}]` : p.host;
  return `mysql://${creds}${host}:${p.port}/${enc(p.database)}${query}`;
}
