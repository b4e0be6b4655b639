import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseArgs } from "../../src/config/loadConfig.js";
import { apiTokens, defaultConfig, resolveConfig, secretsOf, type ApiToken } from "../../src/config/config.js";
import { parseMysqlDsn } from "../../src/config/parseMysqlDsn.js";
import { hostUrls } from "../../src/store/failoverPool.js";

const dir = mkdtempSync(join(tmpdir(), "easytask-config-"));
let n = 0;
function file(content: unknown): string {
  const path = join(dir, `conf${++n}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

// The Go original's shipped conf/conf.json, verbatim.
const GO_DEFAULT_CONF = {
  cluster_name: "easy_task",
  task_worker_pool_size: 50,
  health_check_worker_pool_size: 100,
  elect_driver: "redis",
  mysql: { dsn: "root:@tcp(127.0.0.1:3306)/easytask?charset=utf8mb4&parseTime=True&loc=Local" },
  etcd: { endpoints: ["127.0.0.1:2379"] },
  redis: { nodes: [{ host: "127.0.0.1", port: 6379, password: "" }] },
  log: { log_dir: "/var/log/easytask/", level: "debug", file_size: 1073741824 },
  api_server: { http: { host: "0.0.0.0", port: 8801, pprof_port: 8802 } },
};

const noEnv = {};
const load = (content: unknown, env: NodeJS.ProcessEnv = noEnv) => loadConfig({ configPath: file(content), env });
const throwsConfig = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.match(err.message, re);
    assert.doesNotMatch(err.message, /\n/, "message must be one line");
    return true;
  });

test("no file and no env gives the documented defaults", () => {
  const c = loadConfig({ env: noEnv });
  assert.deepEqual(c, {
    clusterName: "easy_task",
    taskWorkerPoolSize: 50,
    healthCheckWorkerPoolSize: 100,
    healthCheckIntervalSec: 5,
    electDriver: "standalone",
    shards: 64,
    store: { kind: "sqlite", path: "./data/easytask.db" },
    etcd: { endpoints: ["http://127.0.0.1:2379"], leaseTtlSec: 3 },
    redis: { nodes: [{ host: "127.0.0.1", port: 6379, password: "" }] },
    log: { level: "info" },
    http: { host: "0.0.0.0", port: 8801 },
    callbackCmdNumbering: "documented",
    cronDialect: "easytask",
    easytaskGo: { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone },
    maxBodyBytes: 1048576,
    logRetentionDays: 30,
    auth: { tokens: [], protectHealth: false, protectMetrics: false },
    callback: { allowedHosts: [] },
    alerts: { webhookUrl: "", failingRunsInARow: 3, webhookTimeoutSec: 5 },
    env: { forClients: [], unknown: [] },
  });
  assert.deepEqual(defaultConfig, c);
});

test("the Go original's default conf loads once elect_driver is etcd", () => {
  const c = load({ ...GO_DEFAULT_CONF, elect_driver: "etcd" });
  assert.equal(c.electDriver, "etcd");
  assert.deepEqual(c.store, {
    kind: "mysql",
    host: "127.0.0.1",
    port: 3306,
    hosts: [{ host: "127.0.0.1", port: 3306 }],
    user: "root",
    password: "",
    database: "easytask",
    url: "mysql://root@127.0.0.1:3306/easytask",
    queryTimeoutMs: 10_000,
  });
  assert.deepEqual(c.etcd.endpoints, ["http://127.0.0.1:2379"]);
  assert.deepEqual(c.redis, { nodes: [{ host: "127.0.0.1", port: 6379, password: "" }] });
  assert.deepEqual(c.log, { level: "debug", logDir: "/var/log/easytask/", fileSize: 1073741824 });
  assert.deepEqual(c.http, { host: "0.0.0.0", port: 8801 });
  assert.equal(c.pprofPort, 8802);
});

test("the Go original's default conf loads as it is, elect_driver redis included", () => {
  const c = load(GO_DEFAULT_CONF);
  assert.equal(c.electDriver, "redis");
  assert.deepEqual(c.redis, { nodes: [{ host: "127.0.0.1", port: 6379, password: "" }] });
});

test("elect_driver redis needs a node; an empty list is fine under another driver", () => {
  throwsConfig(() => load({ elect_driver: "redis", redis: { nodes: [] } }), /^config: redis\.nodes: expected at least one \{host, port, password\} when elect_driver is "redis"$/);
  assert.deepEqual(load({ elect_driver: "etcd", redis: { nodes: [] } }).redis.nodes, []);
  const fromEnv = loadConfig({ env: { EASYTASK_ELECT_DRIVER: "redis", EASYTASK_REDIS__NODES: '[{"host":"r","port":7000,"password":"pw"}]' } });
  assert.deepEqual([fromEnv.electDriver, fromEnv.redis.nodes], ["redis", [{ host: "r", port: 7000, password: "pw" }]]);
  throwsConfig(() => load({ elect_driver: "zookeeper" }), /^config: elect_driver: expected one of "standalone", "etcd", "redis", got "zookeeper"$/);
});

test("Go DSN forms", () => {
  assert.deepEqual(parseMysqlDsn("root@tcp(localhost)/db"), {
    host: "localhost", port: 3306, hosts: [{ host: "localhost", port: 3306 }], user: "root", password: "", database: "db", url: "mysql://root@localhost:3306/db",
  });
  const at = parseMysqlDsn("u:p@ss@tcp(h:1)/d");
  assert.deepEqual([at.user, at.password, at.host, at.port, at.database], ["u", "p@ss", "h", 1, "d"]);
  assert.equal(at.url, "mysql://u:p%40ss@h:1/d");
  const v6 = parseMysqlDsn("u:p@tcp([::1]:3307)/d");
  assert.deepEqual([v6.host, v6.port, v6.url], ["::1", 3307, "mysql://u:p@[::1]:3307/d"]);
});

test("mysql:// URLs are percent-decoded and re-encoded", () => {
  const d = parseMysqlDsn("mysql://us%40r:p%40ss%3Aw@db.example:3310/app?ssl=true");
  assert.deepEqual([d.user, d.password, d.host, d.port, d.database], ["us@r", "p@ss:w", "db.example", 3310, "app"]);
  assert.equal(d.url, "mysql://us%40r:p%40ss%3Aw@db.example:3310/app?ssl=true");
  assert.equal(parseMysqlDsn("mysql://root@localhost/x").port, 3306);
});

test("a DSN may list several hosts (a Galera cluster's members), in both forms", () => {
  const go = parseMysqlDsn("u:p@ss@tcp(db1:3306,db2,[::1]:3307)/d?parseTime=True");
  assert.deepEqual(go.hosts, [{ host: "db1", port: 3306 }, { host: "db2", port: 3306 }, { host: "::1", port: 3307 }]);
  assert.deepEqual([go.host, go.port, go.password], ["db1", 3306, "p@ss"]);
  assert.equal(go.url, "mysql://u:p%40ss@db1:3306,db2:3306,[::1]:3307/d");
  const url = parseMysqlDsn("mysql://u:p%40ss@db1:3310,db2:3311/app?ssl=true");
  assert.deepEqual(url.hosts, [{ host: "db1", port: 3310 }, { host: "db2", port: 3311 }]);
  assert.equal(url.url, "mysql://u:p%40ss@db1:3310,db2:3311/app?ssl=true");
  throwsConfig(() => parseMysqlDsn("mysql://u:secret@db1:3306,db2:99999/app"), /^config: mysql\.dsn: (?!.*secret)/);
  assert.deepEqual(hostUrls(url.url), ["mysql://u:p%40ss@db1:3310/app?ssl=true", "mysql://u:p%40ss@db2:3311/app?ssl=true"]);
});

test("shards: an integer from 1 to 4096, 64 by default", () => {
  assert.equal(resolveConfig(new Map()).shards, 64);
  assert.equal(resolveConfig(new Map([["shards", 128]])).shards, 128);
  throwsConfig(() => resolveConfig(new Map([["shards", 0]])), /^config: shards: expected an integer 1\.\.4096/);
  throwsConfig(() => resolveConfig(new Map([["shards", 5000]])), /shards/);
});

test("bad DSNs name mysql.dsn and never echo the password", () => {
  throwsConfig(() => parseMysqlDsn("user:secret@unix(/path/sock)/db"), /^config: mysql\.dsn: unix sockets are not supported/);
  throwsConfig(() => parseMysqlDsn("user:secret@tcp(h:3306)/"), /^config: mysql\.dsn: missing database name/);
  throwsConfig(() => parseMysqlDsn("mysql://user:secret@h:3306"), /^config: mysql\.dsn: missing database name/);
  throwsConfig(() => parseMysqlDsn("user:secret@tcp(h:99999)/d"), /^config: mysql\.dsn: port must be an integer 1\.\.65535/);
  throwsConfig(() => parseMysqlDsn("user:secret@tcp(h:1)"), /^config: mysql\.dsn: expected user:password@tcp/);
  throwsConfig(() => load({ mysql: { dsn: "user:secret@udp(h)/d" } }), /^config: mysql\.dsn: unsupported network "udp"(?!.*secret)/);
});

test("unknown keys are named by their full dotted path", () => {
  throwsConfig(() => load({ api_server: { http: { prot: 1 } } }), /^config: unknown key "api_server\.http\.prot"$/);
  throwsConfig(() => load({ clustr_name: "x" }), /^config: unknown key "clustr_name"$/);
  throwsConfig(() => load({ constructor: 1 }), /^config: unknown key "constructor"$/);
  throwsConfig(() => load({ redis: { nodes: [{ host: "h", port: 1, pass: "" }] } }), /^config: unknown key "redis\.nodes\[0\]\.pass"$/);
});

test("wrong types name the key and the value", () => {
  throwsConfig(() => load({ api_server: { http: { port: "abc" } } }), /^config: api_server\.http\.port: expected an integer 0\.\.65535, got "abc"$/);
  throwsConfig(() => load({ task_worker_pool_size: 0 }), /^config: task_worker_pool_size: expected an integer 1\.\.10000, got 0$/);
  throwsConfig(() => load({ api_server: 5 }), /^config: api_server: expected an object, got 5$/);
  throwsConfig(() => load({ etcd: { endpoints: "a:1" } }), /^config: etcd\.endpoints: expected a non-empty array/);
  throwsConfig(() => load({ log: { level: "verbose" } }), /^config: log\.level: expected one of "trace", /);
  throwsConfig(() => load({ health_check_interval_sec: 0 }), /^config: health_check_interval_sec: expected a number > 0/);
  assert.equal(load({ health_check_interval_sec: 0.2 }).healthCheckIntervalSec, 0.2);
  throwsConfig(() => load({ etcd: { lease_ttl_sec: 1 } }), /^config: etcd\.lease_ttl_sec: expected an integer 2\.\.3600, got 1$/);
  assert.equal(load({ etcd: { lease_ttl_sec: 10 } }).etcd.leaseTtlSec, 10);
});

test("log_retention_days: 30 by default, 0 keeps forever, whole days up to 100 years", () => {
  assert.equal(load({ log_retention_days: 0 }).logRetentionDays, 0);
  assert.equal(load({ log_retention_days: 7 }).logRetentionDays, 7);
  assert.equal(loadConfig({ env: { EASYTASK_LOG_RETENTION_DAYS: "90" } }).logRetentionDays, 90);
  throwsConfig(() => load({ log_retention_days: -1 }), /^config: log_retention_days: expected an integer 0\.\.36500, got -1$/);
  throwsConfig(() => load({ log_retention_days: 1.5 }), /^config: log_retention_days: expected an integer 0\.\.36500, got 1\.5$/);
  throwsConfig(() => load({ log_retention_days: "30" }), /^config: log_retention_days: expected an integer 0\.\.36500, got "30"$/);
});

test("cron_dialect follows callback_cmd_numbering unless set; easytask_go.time_zone is an IANA zone", () => {
  assert.equal(load({}).cronDialect, "easytask");
  assert.equal(load({ callback_cmd_numbering: "easytask-go" }).cronDialect, "easytask-go");
  assert.equal(load({ callback_cmd_numbering: "easytask-go", cron_dialect: "easytask" }).cronDialect, "easytask");
  assert.equal(load({ cron_dialect: "easytask-go" }).cronDialect, "easytask-go");
  throwsConfig(() => load({ cron_dialect: "go" }), /^config: cron_dialect: expected one of "easytask", "easytask-go", got "go"$/);
  assert.equal(load({ easytask_go: { time_zone: "Asia/Shanghai" } }).easytaskGo.timeZone, "Asia/Shanghai");
  assert.equal(loadConfig({ env: { EASYTASK_EASYTASK_GO__TIME_ZONE: "Europe/Paris" } }).easytaskGo.timeZone, "Europe/Paris");
  throwsConfig(() => load({ easytask_go: { time_zone: "Mars/Olympus" } }), /^config: easytask_go\.time_zone: expected an IANA time zone/);
});

test("secretsOf lists the MySQL and Redis passwords (also as the URL carries them) and the API tokens", () => {
  const c = load({
    mysql: { dsn: "u:p@ss w0rd@tcp(db:3306)/x" },
    redis: { nodes: [{ host: "r", port: 1, password: "redis-pw" }, { host: "s", port: 2, password: "" }] },
    auth: { tokens: ["0123456789abcdef-token"] },
  });
  assert.deepEqual(secretsOf(c), ["p@ss w0rd", "p%40ss%20w0rd", "redis-pw", "0123456789abcdef-token"]);
  assert.deepEqual(secretsOf(defaultConfig), []);
});

test("null leaves a key or section unset, as Go's encoding/json does", () => {
  const c = load({ mysql: null, log: { log_dir: null, level: null }, task_worker_pool_size: null });
  assert.deepEqual([c.store.kind, c.log, c.taskWorkerPoolSize], ["sqlite", { level: "info" }, 50]);
});

test("unreadable file and invalid JSON name the file and the position", () => {
  throwsConfig(() => loadConfig({ configPath: join(dir, "missing.json"), env: noEnv }), /^config: cannot read config file ".*missing\.json": ENOENT/);
  const broken = file('{\n  "cluster_name": "x",\n  "elect_driver": }\n');
  throwsConfig(() => loadConfig({ configPath: broken, env: noEnv }), new RegExp(`^config: invalid JSON in "${broken.replace(/[\\.]/g, "\\$&")}": Unexpected token '\\}' at line 3, column 19$`));
  throwsConfig(() => load('{\n  "a": 1,\n}'), /invalid JSON in ".*": Expected double-quoted property name at line 3, column 1$/);
  throwsConfig(() => load("[1]"), /must hold a JSON object/);
});

test("env overrides a number, a string and an array after the file", () => {
  const c = load(
    { ...GO_DEFAULT_CONF, elect_driver: "etcd" },
    {
      EASYTASK_API_SERVER__HTTP__PORT: "9000",
      EASYTASK_HEALTH_CHECK_INTERVAL_SEC: "0.5",
      EASYTASK_CLUSTER_NAME: "blue",
      EASYTASK_ETCD__ENDPOINTS: "a:2379, https://b:2379,",
      EASYTASK_MYSQL__DSN: "mysql://u:p@m:1/other",
      EASYTASK_TEST_MYSQL_URL: "ignored",
      PATH: "/bin",
    },
  );
  assert.equal(c.http.port, 9000);
  assert.equal(c.healthCheckIntervalSec, 0.5);
  assert.equal(c.clusterName, "blue");
  assert.deepEqual(c.etcd.endpoints, ["http://a:2379", "https://b:2379"]);
  assert.equal(c.store.kind === "mysql" && c.store.host, "m");
  const sqlite = loadConfig({ env: { EASYTASK_SQLITE__PATH: ":memory:", EASYTASK_ELECT_DRIVER: "etcd" } });
  assert.deepEqual([sqlite.store, sqlite.electDriver], [{ kind: "sqlite", path: ":memory:" }, "etcd"]);
});

test("bad env values name the key and the variable", () => {
  throwsConfig(
    () => loadConfig({ env: { EASYTASK_API_SERVER__HTTP__PORT: "abc" } }),
    /^config: api_server\.http\.port: expected an integer 0\.\.65535, got "abc" \(set by EASYTASK_API_SERVER__HTTP__PORT\)$/,
  );
  throwsConfig(() => loadConfig({ env: { EASYTASK_MAX_BODY_BYTES: "" } }), /^config: max_body_bytes: expected an integer >= 1, got ""/);
  throwsConfig(() => loadConfig({ env: { EASYTASK_API_SERVER__HTTP__PROT: "1" } }), /^config: environment variable EASYTASK_API_SERVER__HTTP__PROT matches no config key$/);
  throwsConfig(() => loadConfig({ env: { EASYTASK_API_SERVER: "1" } }), /EASYTASK_API_SERVER matches no config key/);
  // A misspelt nested key would otherwise leave the API open without a word.
  throwsConfig(() => loadConfig({ env: { EASYTASK_AUTH__TOKEN: "a-token-of-16-characters" } }), /^config: environment variable EASYTASK_AUTH__TOKEN matches no config key$/);
});

test("the SDKs' variables and other programs' EASYTASK_* names do not stop the server; they are reported", () => {
  const c = loadConfig({
    env: {
      EASYTASK_URL: "http://127.0.0.1:8801",
      EASYTASK_TOKEN: "client-token-0123456789",
      EASYTASK_SECRET: "task-server-secret-0123",
      EASYTASK_REPORTS_QUEUE: "q1",
      EASYTASK_MAX_BODY_BYTE: "10",
      EASYTASK_MAX_BODY_BYTES: "2048",
      EASYTASK_TEST_MYSQL_URL: "mysql://harness",
    },
  });
  assert.equal(c.maxBodyBytes, 2048);
  assert.deepEqual(c.env, { forClients: ["EASYTASK_SECRET", "EASYTASK_TOKEN", "EASYTASK_URL"], unknown: ["EASYTASK_MAX_BODY_BYTE", "EASYTASK_REPORTS_QUEUE"] });
  // The client's token is not the server's: the API stays open.
  assert.deepEqual(c.auth.tokens, []);
  // The file stays strict: there, the same names are unknown keys.
  throwsConfig(() => load({ url: "http://127.0.0.1:8801" }), /^config: unknown key "url"$/);
  assert.deepEqual(loadConfig({ env: noEnv }).env, { forClients: [], unknown: [] });
});

test("parseArgs accepts -c, --config and --config=", () => {
  assert.deepEqual(parseArgs([]), {});
  assert.deepEqual(parseArgs(["-c", "a.json"]), { configPath: "a.json" });
  assert.deepEqual(parseArgs(["--config", "b.json"]), { configPath: "b.json" });
  assert.deepEqual(parseArgs(["--config=c=d.json"]), { configPath: "c=d.json" });
  throwsConfig(() => parseArgs(["--verbose"]), /^config: unknown flag "--verbose"/);
  throwsConfig(() => parseArgs(["conf.json"]), /^config: unknown argument "conf\.json"/);
  throwsConfig(() => parseArgs(["-c"]), /^config: -c needs a file path$/);
  throwsConfig(() => parseArgs(["--config", "--other"]), /^config: --config needs a file path$/);
  assert.deepEqual(parseArgs(["--help"]), { help: true });
  assert.deepEqual(parseArgs(["-c", "a.json", "-v"]), { version: true });
});

test("auth.tokens and callback.allowed_hosts load from the file and the environment", () => {
  const token = "0123456789abcdef-token";
  const c = load({ auth: { tokens: [token], protect_health: true }, callback: { allowed_hosts: ["10.0.0.0/8", "*.tasks.internal"] } });
  assert.deepEqual(c.auth, { tokens: [token], protectHealth: true, protectMetrics: false });
  assert.deepEqual(c.callback.allowedHosts, ["10.0.0.0/8", "*.tasks.internal"]);
  const e = load({}, { EASYTASK_AUTH__TOKENS: `${token},${token}-2`, EASYTASK_AUTH__PROTECT_METRICS: "true", EASYTASK_CALLBACK__ALLOWED_HOSTS: "127.0.0.1, fd00::/8" });
  assert.deepEqual(e.auth, { tokens: [token, `${token}-2`], protectHealth: false, protectMetrics: true });
  assert.deepEqual(e.callback.allowedHosts, ["127.0.0.1", "fd00::/8"]);
});

test("a weak token is refused by position, and the message never shows a token", () => {
  const secret = "short-secret";
  for (const tokens of [[secret], ["0123456789abcdef-token", secret], ["has a space in it, too long"]]) {
    assert.throws(
      () => load({ auth: { tokens } }),
      (err: unknown) => err instanceof ConfigError && /auth\.tokens\[\d\]/.test(err.message) && !err.message.includes(secret) && !err.message.includes("in it"),
    );
  }
  throwsConfig(() => load({}, { EASYTASK_AUTH__PROTECT_HEALTH: "yes" }), /auth\.protect_health: expected true or false.*EASYTASK_AUTH__PROTECT_HEALTH/);
});

test("auth.tokens takes {name, token, role} objects next to bare strings (admin tokens), from the file and as JSON from the environment", () => {
  const admin = "0123456789abcdef-admin";
  const viewer = "0123456789abcdef-viewer";
  const tokens: (string | ApiToken)[] = [admin, { name: "grafana", token: viewer, role: "viewer" }, { name: "ci", token: `${admin}-2`, role: "admin" }];
  assert.deepEqual(load({ auth: { tokens } }).auth.tokens, tokens);
  assert.deepEqual(apiTokens(tokens), [
    { name: "auth.tokens[0]", token: admin, role: "admin" },
    { name: "grafana", token: viewer, role: "viewer" },
    { name: "ci", token: `${admin}-2`, role: "admin" },
  ]);
  assert.deepEqual(load({}, { EASYTASK_AUTH__TOKENS: JSON.stringify(tokens.slice(1)) }).auth.tokens, tokens.slice(1));
  assert.deepEqual(secretsOf(load({ auth: { tokens } })), [admin, viewer, `${admin}-2`]);

  throwsConfig(() => load({ auth: { tokens: [{ name: "x", token: viewer }] } }), /auth\.tokens\[0\]\.role: expected one of "admin", "viewer", got nothing/);
  throwsConfig(() => load({ auth: { tokens: [{ name: "x", token: viewer, role: "root" }] } }), /auth\.tokens\[0\]\.role/);
  throwsConfig(() => load({ auth: { tokens: [{ name: "", token: viewer, role: "viewer" }] } }), /auth\.tokens\[0\]\.name: expected 1 to 64 printable/);
  throwsConfig(() => load({ auth: { tokens: [{ name: "x", token: viewer, role: "viewer", scope: "all" }] } }), /unknown key "auth\.tokens\[0\]\.scope"/);
  throwsConfig(() => load({ auth: { tokens: [{ name: "a", token: admin, role: "admin" }, { name: "a", token: viewer, role: "viewer" }] } }), /auth\.tokens\[1\]\.name: "a" names another token too/);
  assert.throws(
    () => load({ auth: { tokens: [{ name: "x", token: "short-secret", role: "viewer" }] } }),
    (err: unknown) => err instanceof ConfigError && /auth\.tokens\[0\]\.token/.test(err.message) && !err.message.includes("short-secret"),
  );
  throwsConfig(() => load({}, { EASYTASK_AUTH__TOKENS: "[{" }), /EASYTASK_AUTH__TOKENS must hold JSON/);

  // The README's example, its tokens filled in.
  let n = 0;
  const example = /\*\*Roles\.\*\*[\s\S]*?```json\n([\s\S]*?)```/.exec(readFileSync(new URL("../../../README.md", import.meta.url), "utf8"))![1].replaceAll("…", () => `readme-example-token-${n++}`);
  assert.deepEqual(apiTokens(load(JSON.parse(example)).auth.tokens).map((t) => [t.name, t.role]), [["ops", "admin"], ["grafana", "viewer"]]);
});

test("alerts: a webhook URL (a secret), the failing runs that raise an alert, the post's timeout", () => {
  const url = "https://hooks.example.com/services/T000/B000/XXXXSECRET";
  const c = load({ alerts: { webhook_url: url, failing_runs_in_a_row: 5, webhook_timeout_sec: 10 } });
  assert.deepEqual(c.alerts, { webhookUrl: url, failingRunsInARow: 5, webhookTimeoutSec: 10 });
  assert.ok(secretsOf(c).includes(url));
  assert.equal(load({}, { EASYTASK_ALERTS__FAILING_RUNS_IN_A_ROW: "0" }).alerts.failingRunsInARow, 0);
  assert.throws(
    () => load({ alerts: { webhook_url: "ftp://hooks.example.com/XXXXSECRET" } }),
    (err: unknown) => err instanceof ConfigError && /alerts\.webhook_url: expected an http/.test(err.message) && !err.message.includes("XXXXSECRET"),
  );
  throwsConfig(() => load({ alerts: { failing_runs_in_a_row: -1 } }), /alerts\.failing_runs_in_a_row: expected an integer 0\.\.1000/);
  throwsConfig(() => load({ alerts: { webhook_timeout_sec: 0 } }), /alerts\.webhook_timeout_sec: expected an integer 1\.\.300/);
});

test("callback.allowed_hosts entries must be host names, addresses or CIDR ranges", () => {
  throwsConfig(() => load({ callback: { allowed_hosts: ["10.0.0.0/33"] } }), /callback\.allowed_hosts\[0\]: expected a CIDR range/);
  throwsConfig(() => load({ callback: { allowed_hosts: ["ok.internal", "http://x/"] } }), /callback\.allowed_hosts\[1\]/);
  throwsConfig(() => load({ callback: { allowed_hosts: ["*."] } }), /callback\.allowed_hosts\[0\]/);
  throwsConfig(() => load({ callback: { allowed_hosts: "10.0.0.0/8" } }), /callback\.allowed_hosts: expected an array/);
});

test("an explicit sqlite.path next to mysql.dsn is reported as ignored; the default is not", () => {
  const dsn = "root@tcp(127.0.0.1:3306)/easytask";
  assert.equal(load({ mysql: { dsn }, sqlite: { path: "/data/e.db" } }).sqlitePathIgnored, "/data/e.db");
  assert.equal(load({ mysql: { dsn } }).sqlitePathIgnored, undefined);
  assert.equal(load({ sqlite: { path: "/data/e.db" } }).sqlitePathIgnored, undefined);
  assert.equal(load({ sqlite: { path: "/data/e.db" } }, { EASYTASK_MYSQL__DSN: dsn }).sqlitePathIgnored, "/data/e.db");
});

test("api_server.tls needs a certificate and its key; callback.ca_file and mysql.query_timeout_sec are read", () => {
  const tls = { cert_file: "/etc/easytask/tls.crt", key_file: "/etc/easytask/tls.key" };
  assert.deepEqual(load({ api_server: { tls } }).http.tls, { certFile: tls.cert_file, keyFile: tls.key_file });
  throwsConfig(() => load({ api_server: { tls: { cert_file: "a.crt" } } }), /^config: api_server\.tls\.key_file: required with api_server\.tls\.cert_file/);
  throwsConfig(() => load({ api_server: { tls: { key_file: "a.key" } } }), /^config: api_server\.tls\.cert_file: required with api_server\.tls\.key_file/);
  assert.equal(load({ callback: { ca_file: "/etc/easytask/ca.pem" } }).callback.caFile, "/etc/easytask/ca.pem");
  const mysql = load({ mysql: { dsn: "u:p@tcp(h:3306)/d", query_timeout_sec: 2.5 } }).store;
  assert.equal(mysql.kind === "mysql" && mysql.queryTimeoutMs, 2500);
  const byDefault = load({ mysql: { dsn: "u:p@tcp(h:3306)/d" } }).store;
  assert.equal(byDefault.kind === "mysql" && byDefault.queryTimeoutMs, 10_000);
  throwsConfig(() => load({ mysql: { query_timeout_sec: 0 } }), /^config: mysql\.query_timeout_sec: expected a number > 0 and <= 3600, got 0$/);
});
