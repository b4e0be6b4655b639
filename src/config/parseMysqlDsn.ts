import { ConfigError } from "./errors.js";

export interface MysqlHost {
  host: string;
  port: number;
}

export interface MysqlDsn extends MysqlHost {
  // Every host listed, in order (host and port are the first): members of
  // one Galera cluster, or a primary and its failover replicas.
  hosts: MysqlHost[];
  user: string;
  password: string;
  database: string;
  /** mysql://user:password@host:port[,host:port…]/database, credentials percent-encoded. */
  url: string;
}

const DEFAULT_PORT = 3306;

// Messages never echo the DSN: it usually carries a password.
function bad(key: string, problem: string): never {
  throw new ConfigError(`config: ${key}: ${problem}`);
}

/**
 * Accepts the go-sql-driver form `user:password@tcp(host:port)/db?params` used by the
 * Go original's conf.json, and `mysql://user:pass@host:port/db?params` URLs. Either may
 * list several hosts separated by commas (`tcp(h1:3306,h2:3306)`, `@h1:3306,h2:3306/`).
 */
export function parseMysqlDsn(dsn: string, key = "mysql.dsn"): MysqlDsn {
  const parsed = /^mysql:\/\//i.test(dsn) ? fromUrl(dsn, key) : fromGoDsn(dsn, key);
  if (parsed.database === "") bad(key, "missing database name (expected .../dbname)");
  const { query, ...fields } = parsed;
  return { ...fields, host: fields.hosts[0]!.host, port: fields.hosts[0]!.port, url: buildUrl(fields, query) };
}

type Parts = Omit<MysqlDsn, "url" | "host" | "port"> & { query: string };

// The URL parser takes one host: the others are read one at a time in the
// place of the first.
function fromUrl(dsn: string, key: string): Parts {
  const authority = /^mysql:\/\/([^/?#]*)/i.exec(dsn)![1]!;
  const at = authority.lastIndexOf("@");
  const [first, ...others] = authority.slice(at + 1).split(",");
  const parts = fromOneUrl(dsn.replace(authority, authority.slice(0, at + 1) + first), key);
  for (const other of others) parts.hosts.push(fromOneUrl(dsn.replace(authority, other), key).hosts[0]!);
  return parts;
}

function fromOneUrl(dsn: string, key: string): Parts {
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
    hosts: [{ host, port: u.port === "" ? DEFAULT_PORT : checkPort(u.port, key) }],
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
  const hosts = addr.split(",").map((one) => {
    const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(one.trim())!;
    const host = hostPort[1]!.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
    return { host, port: hostPort[2] === undefined ? DEFAULT_PORT : checkPort(hostPort[2], key) };
  });
  return {
    hosts,
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

function buildUrl(p: Omit<Parts, "query">, query: string): string {
  const enc = encodeURIComponent;
  const creds = p.user === "" && p.password === "" ? "" : `${enc(p.user)}${p.password === "" ? "" : `:${enc(p.password)}`}@`;
  const hosts = p.hosts.map((h) => `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`).join(",");
  return `mysql://${creds}${hosts}/${enc(p.database)}${query}`;
}
