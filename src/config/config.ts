import { checkAllowedHost } from "../callback/targets.js";
import { checkTimeZone } from "../calendar/cron.js";
import { localTimeZone } from "../calendar/goCron.js";
import { DEFAULT_QUERY_TIMEOUT_SEC } from "../store/availability.js";
import { expected, fail, show, ConfigError } from "./errors.js";
import { parseMysqlDsn } from "./parseMysqlDsn.js";

export interface RedisNode {
  host: string;
  port: number;
  password: string;
}

export type Role = "admin" | "viewer";

// An API token with its name (in the audit log) and role: admins may call
// every method, viewers only those that change nothing.
export interface ApiToken {
  name: string;
  token: string;
  role: Role;
}

export interface AlertSettings {
  // "": alerts are only recorded (and listed by ListAlerts).
  webhookUrl: string;
  // 0: failing tasks raise no alert.
  failingRunsInARow: number;
  // How long a post to the webhook may take.
  webhookTimeoutSec: number;
}

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export interface Config {
  clusterName: string;
  taskWorkerPoolSize: number;
  healthCheckWorkerPoolSize: number;
  healthCheckIntervalSec: number;
  electDriver: "standalone" | "etcd" | "redis";
  /** Shards the task space is cut into; the same on every node of a cluster. */
  shards: number;
  store:
    | { kind: "sqlite"; path: string }
    | { kind: "mysql"; url: string; host: string; port: number; user: string; password: string; database: string; queryTimeoutMs: number };
  etcd: { endpoints: string[]; leaseTtlSec: number };
  /** Only the first node holds the leader lease (see redisLeadership.ts). */
  redis: { nodes: RedisNode[] };
  log: { level: LogLevel; logDir?: string; fileSize?: number };
  /** tls: serve HTTPS (HTTP/2 by ALPN, and HTTP/1.1) with these PEM files, reloaded when they change. */
  http: { host: string; port: number; tls?: { certFile: string; keyFile: string } };
  /** Accepted and ignored: Node has no pprof. */
  pprofPort?: number;
  /** Set explicitly, but unused because mysql.dsn is set. */
  sqlitePathIgnored?: string;
  /** EASYTASK_* variables of the environment that the server does not read (see loadConfig.ts). */
  env: { forClients: string[]; unknown: string[] };
  callbackCmdNumbering: "documented" | "easytask-go";
  /** How /add_task reads time_cron: "easytask-go" as the Go original (6 fields are minute … year). */
  cronDialect: "easytask" | "easytask-go";
  /** The zone the Go original ran in: its migrated crons, and /add_task crons in its dialect, are read in it. */
  easytaskGo: { timeZone: string };
  maxBodyBytes: number;
  /** Finished task_log rows older than this many days are deleted; 0 keeps them forever. */
  logRetentionDays: number;
  /** Empty: the API is open, as in the original. A bare string is an admin token (named by its position). */
  auth: { tokens: (string | ApiToken)[]; protectHealth: boolean; protectMetrics: boolean };
  /** Where alerts go and when a failing task raises one. */
  alerts: AlertSettings;
  /** Empty: any host may be registered as a route, as in the original. */
  callback: { allowedHosts: string[]; caFile?: string };
}

/** How an EASYTASK_* environment string becomes a value of the key's type. */
export type EnvKind = "string" | "number" | "boolean" | "list" | "json" | "list_or_json";

interface Spec<T> {
  env: EnvKind;
  default?: unknown;
  /** Validates a file/env/default value and returns it normalized; throws ConfigError naming `key`. */
  parse: (value: unknown, key: string) => T;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const str = (v: unknown, key: string): string => (typeof v === "string" ? v : expected(key, "a string", v));
const nonEmpty = (v: unknown, key: string): string =>
  typeof v === "string" && v !== "" ? v : expected(key, "a non-empty string", v);

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => (v: unknown, key: string): number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max
    ? (v as number)
    : expected(key, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer ${min}..${max}`, v);

const oneOf = <T extends string>(...allowed: T[]) => (v: unknown, key: string): T =>
  allowed.includes(v as T) ? (v as T) : expected(key, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`, v);

const timeZone = (v: unknown, key: string): string => {
  const zone = nonEmpty(v, key);
  try {
    checkTimeZone(zone);
  } catch {
    return expected(key, 'an IANA time zone such as "Asia/Shanghai" or "UTC"', v);
  }
  return zone;
};

const bool = (v: unknown, key: string): boolean => (typeof v === "boolean" ? v : expected(key, "true or false", v));

const MIN_TOKEN_LENGTH = 16;
const TOKEN_FIELDS = ["name", "token", "role"];
// Errors name the position, never the value: a token must not reach a log.
const tokenText = (t: unknown, at: string): string => {
  if (typeof t !== "string" || t.length < MIN_TOKEN_LENGTH || /[^\x21-\x7e]/.test(t)) {
    fail(at, `expected a token of at least ${MIN_TOKEN_LENGTH} printable ASCII characters without spaces`);
  }
  return t as string;
};
// A string (an admin token, as before roles), or {name, token, role}.
const tokens = (v: unknown, key: string): (string | ApiToken)[] => {
  if (!Array.isArray(v)) return fail(key, "expected an array of tokens: strings, or {name, token, role} objects");
  const parsed = v.map((t: unknown, i): string | ApiToken => {
    const at = `${key}[${i}]`;
    if (typeof t === "string") return tokenText(t, at);
    if (!isObject(t)) return fail(at, "expected a token string or an object {name, token, role}");
    const extra = Object.keys(t).find((f) => !TOKEN_FIELDS.includes(f));
    if (extra !== undefined) throw new ConfigError(`config: unknown key "${at}.${extra}"`);
    const name = typeof t.name === "string" && /^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(t.name) ? t.name : expected(`${at}.name`, "1 to 64 printable ASCII characters", t.name);
    return { name, token: tokenText(t.token, `${at}.token`), role: oneOf<Role>("admin", "viewer")(t.role, `${at}.role`) };
  });
  const all = apiTokens(parsed);
  all.forEach((t, i) => {
    if (all.findIndex((o) => o.name === t.name) !== i) fail(`${key}[${i}].name`, `"${t.name}" names another token too; names must differ`);
  });
  return parsed;
};

// The name of a token given as a bare string: where it is in the list.
const positionalName = (i: number) => `auth.tokens[${i}]`;

// The configured tokens with their names and roles (bare strings are admin
// tokens).
export function apiTokens(list: readonly (string | ApiToken)[]): ApiToken[] {
  return list.map((t, i) => (typeof t === "string" ? { name: positionalName(i), token: t, role: "admin" } : t));
}

const webhookUrl = (v: unknown, key: string): string => {
  if (v === "") return "";
  let url: URL | undefined;
  try {
    url = new URL(str(v, key));
  } catch {
    // reported below
  }
  // The URL is a secret (Slack's and Teams' carry their key): never shown.
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) return fail(key, "expected an http:// or https:// URL, or \"\"");
  return url.href;
};

const allowedHosts = (v: unknown, key: string): string[] => {
  if (!Array.isArray(v)) return expected(key, "an array of host names, IP addresses and CIDR ranges", v);
  v.forEach((entry, i) => {
    const problem = typeof entry === "string" ? checkAllowedHost(entry) : "expected a string";
    if (problem) fail(`${key}[${i}]`, `${problem}, got ${show(entry)}`);
  });
  return v as string[];
};

const positiveUpTo = (max: number) => (v: unknown, key: string): number =>
  typeof v === "number" && v > 0 && v <= max ? v : expected(key, `a number > 0 and <= ${max}`, v);

// Node turns timer delays above ~24.8 days into 1 ms, so a huge interval would mean a tight loop.
const MAX_INTERVAL_SEC = 86_400;
const interval = positiveUpTo(MAX_INTERVAL_SEC);

const endpoints = (v: unknown, key: string): string[] => {
  if (!Array.isArray(v) || v.length === 0) return expected(key, "a non-empty array of host:port strings", v);
  return v.map((e, i) => nonEmpty(e, `${key}[${i}]`)).map((e) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `http://${e}`));
};

const REDIS_NODE_FIELDS = ["host", "port", "password"];
const redisNodes = (v: unknown, key: string): RedisNode[] => {
  if (!Array.isArray(v)) return expected(key, "an array of {host, port, password}", v);
  return v.map((n: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!isObject(n)) return expected(at, "an object {host, port, password}", n);
    const extra = Object.keys(n).find((f) => !REDIS_NODE_FIELDS.includes(f));
    if (extra !== undefined) throw new ConfigError(`config: unknown key "${at}.${extra}"`);
    return {
      host: nonEmpty(n.host, `${at}.host`),
      port: int(1, 65535)(n.port, `${at}.port`),
      password: n.password === undefined ? "" : str(n.password, `${at}.password`),
    };
  });
};

/**
 * Every accepted key, by its dotted path in conf.json. This one table drives file validation,
 * unknown-key detection, environment overrides and defaults.
 */
export const SCHEMA = {
  cluster_name: { env: "string", default: "easy_task", parse: nonEmpty },
  task_worker_pool_size: { env: "number", default: 50, parse: int(1, 10_000) },
  health_check_worker_pool_size: { env: "number", default: 100, parse: int(1, 10_000) },
  health_check_interval_sec: { env: "number", default: 5, parse: interval },
  elect_driver: { env: "string", default: "standalone", parse: oneOf("standalone", "etcd", "redis") },
  // At most one per slot of the task space (policy/shards.ts).
  shards: { env: "number", default: 64, parse: int(1, 4096) },
  "mysql.dsn": { env: "string", parse: (v, key) => parseMysqlDsn(nonEmpty(v, key), key) },
  // Seconds; fractions allowed. Bounds every query and the wait for a connection.
  "mysql.query_timeout_sec": { env: "number", default: DEFAULT_QUERY_TIMEOUT_SEC, parse: positiveUpTo(3600) },
  "sqlite.path": { env: "string", default: "./data/easytask.db", parse: nonEmpty },
  "etcd.endpoints": { env: "list", default: ["127.0.0.1:2379"], parse: endpoints },
  // At least 2: a leader gives up 1 s before its lease could expire, and must renew in between.
  "etcd.lease_ttl_sec": { env: "number", default: 3, parse: int(2, 3600) },
  "redis.nodes": { env: "json", default: [{ host: "127.0.0.1", port: 6379, password: "" }], parse: redisNodes },
  "log.level": { env: "string", default: "info", parse: oneOf<LogLevel>("trace", "debug", "info", "warn", "error", "fatal", "silent") },
  "log.log_dir": { env: "string", parse: str },
  "log.file_size": { env: "number", parse: int(1) },
  "api_server.http.host": { env: "string", default: "0.0.0.0", parse: nonEmpty },
  "api_server.http.port": { env: "number", default: 8801, parse: int(0, 65535) },
  "api_server.http.pprof_port": { env: "number", parse: int(0, 65535) },
  "api_server.tls.cert_file": { env: "string", parse: nonEmpty },
  "api_server.tls.key_file": { env: "string", parse: nonEmpty },
  callback_cmd_numbering: { env: "string", default: "documented", parse: oneOf("documented", "easytask-go") },
  // Default: "easytask-go" when callback_cmd_numbering is.
  cron_dialect: { env: "string", parse: oneOf("easytask", "easytask-go") },
  // Default: this machine's local time zone.
  "easytask_go.time_zone": { env: "string", parse: timeZone },
  max_body_bytes: { env: "number", default: 1_048_576, parse: int(1) },
  // Up to 100 years; 0 keeps run history forever.
  log_retention_days: { env: "number", default: 30, parse: int(0, 36_500) },
  "auth.tokens": { env: "list_or_json", default: [], parse: tokens },
  "auth.protect_health": { env: "boolean", default: false, parse: bool },
  "auth.protect_metrics": { env: "boolean", default: false, parse: bool },
  "callback.allowed_hosts": { env: "list", default: [], parse: allowedHosts },
  "callback.ca_file": { env: "string", parse: nonEmpty },
  "alerts.webhook_url": { env: "string", default: "", parse: webhookUrl },
  // 0: failing tasks raise no alert.
  "alerts.failing_runs_in_a_row": { env: "number", default: 3, parse: int(0, 1000) },
  "alerts.webhook_timeout_sec": { env: "number", default: 5, parse: int(1, 300) },
} satisfies Record<string, Spec<unknown>>;

export type ConfigKey = keyof typeof SCHEMA;
type Parsed = { [K in ConfigKey]: ReturnType<(typeof SCHEMA)[K]["parse"]> | undefined };

const SPECS: ReadonlyMap<string, Spec<unknown>> = new Map(Object.entries(SCHEMA));

export function specFor(key: string): Spec<unknown> | undefined {
  return SPECS.get(key);
}

/** Dotted paths that hold objects ("api_server", "api_server.http", ...). */
export const SECTIONS: ReadonlySet<string> = new Set(
  [...SPECS.keys()].flatMap((k) => k.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))),
);

/**
 * Builds a Config from raw values keyed by dotted path; missing keys take their defaults.
 * `origin` names where a value came from (an environment variable) so errors can say so.
 */
export function resolveConfig(raw: ReadonlyMap<string, unknown>, origin: ReadonlyMap<string, string> = new Map()): Config {
  const p = {} as Record<string, unknown>;
  for (const [key, spec] of SPECS) {
    const value = raw.has(key) ? raw.get(key) : spec.default;
    try {
      p[key] = value === undefined ? undefined : spec.parse(value, key);
    } catch (err) {
      const from = origin.get(key);
      if (err instanceof ConfigError && from) err.message += ` (set by ${from})`;
      throw err;
    }
  }
  const v = p as Parsed;
  const mysql = v["mysql.dsn"];
  // An empty list is harmless under another driver (conf files carry the section anyway).
  if (v.elect_driver === "redis" && v["redis.nodes"]!.length === 0) {
    fail("redis.nodes", 'expected at least one {host, port, password} when elect_driver is "redis"');
  }
  const [certFile, keyFile] = [v["api_server.tls.cert_file"], v["api_server.tls.key_file"]];
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [missing, given] = certFile === undefined ? ["cert_file", "key_file"] : ["key_file", "cert_file"];
    fail(`api_server.tls.${missing}`, `required with api_server.tls.${given} (TLS needs a certificate and its private key)`);
  }
  return {
    clusterName: v.cluster_name!,
    taskWorkerPoolSize: v.task_worker_pool_size!,
    healthCheckWorkerPoolSize: v.health_check_worker_pool_size!,
    healthCheckIntervalSec: v.health_check_interval_sec!,
    electDriver: v.elect_driver!,
    shards: v.shards!,
    store: mysql ? { kind: "mysql", ...mysql, queryTimeoutMs: v["mysql.query_timeout_sec"]! * 1000 } : { kind: "sqlite", path: v["sqlite.path"]! },
    etcd: { endpoints: v["etcd.endpoints"]!, leaseTtlSec: v["etcd.lease_ttl_sec"]! },
    redis: { nodes: v["redis.nodes"]! },
    log: {
      level: v["log.level"]!,
      ...(v["log.log_dir"] !== undefined && { logDir: v["log.log_dir"] }),
      ...(v["log.file_size"] !== undefined && { fileSize: v["log.file_size"] }),
    },
    http: { host: v["api_server.http.host"]!, port: v["api_server.http.port"]!, ...(certFile && keyFile && { tls: { certFile, keyFile } }) },
    ...(v["api_server.http.pprof_port"] !== undefined && { pprofPort: v["api_server.http.pprof_port"] }),
    ...(mysql && raw.has("sqlite.path") && { sqlitePathIgnored: v["sqlite.path"]! }),
    callbackCmdNumbering: v.callback_cmd_numbering!,
    cronDialect: v.cron_dialect ?? (v.callback_cmd_numbering === "easytask-go" ? "easytask-go" : "easytask"),
    easytaskGo: { timeZone: v["easytask_go.time_zone"] ?? localTimeZone() },
    maxBodyBytes: v.max_body_bytes!,
    logRetentionDays: v.log_retention_days!,
    auth: { tokens: v["auth.tokens"]!, protectHealth: v["auth.protect_health"]!, protectMetrics: v["auth.protect_metrics"]! },
    callback: { allowedHosts: v["callback.allowed_hosts"]!, ...(v["callback.ca_file"] !== undefined && { caFile: v["callback.ca_file"] }) },
    alerts: { webhookUrl: v["alerts.webhook_url"]!, failingRunsInARow: v["alerts.failing_runs_in_a_row"]!, webhookTimeoutSec: v["alerts.webhook_timeout_sec"]! },
    env: { forClients: [], unknown: [] },
  };
}

// Values the logger must never show, wherever they turn up (a driver's
// error text, a URL).
export function secretsOf(config: Config): string[] {
  const secrets = [
    config.store.kind === "mysql" ? config.store.password : "",
    ...config.redis.nodes.map((n) => n.password),
    ...apiTokens(config.auth.tokens).map((t) => t.token),
    config.alerts.webhookUrl,
  ];
  // The mysql:// URL the driver is given holds the password percent-encoded.
  return [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]))].filter((s) => s !== "");
}

export const defaultConfig: Config = resolveConfig(new Map());
