import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { constants } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createConnection } from "mysql2/promise";
import { createLogger } from "../../src/log/log.js";
import { clients, postDocumented } from "../support/api.js";
import { DIALECTS, freshStore, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { startNodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";
import { envelope, http2Client } from "../support/wire.js";

after(stopSharedMariaDb);

type Line = Record<string, unknown>;

// A logger writing into an array, as the node's lines would go to stdout.
function capture(secrets: string[] = []) {
  const raw: string[] = [];
  const log = createLogger("debug", { write: (l) => raw.push(l), secrets });
  return { log, raw, lines: (): Line[] => raw.map((l) => JSON.parse(l) as Line) };
}

describe("the logger", () => {
  test("writes one JSON object per line with level, ISO time and msg", () => {
    const { log, raw, lines } = capture();
    log.info("hello", { n: 1 });
    log.debug("details");
    assert.equal(raw.length, 2);
    assert.ok(raw.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
    const [first] = lines();
    assert.equal(first!.level, "info");
    assert.equal(first!.msg, "hello");
    assert.equal(first!.n, 1);
    assert.ok(!Number.isNaN(Date.parse(first!.time as string)));
  });

  test("drops lines below its level", () => {
    const raw: string[] = [];
    const log = createLogger("warn", { write: (l) => raw.push(l) });
    log.info("no");
    log.debug("no");
    log.warn("yes");
    assert.deepEqual(raw.map((l) => JSON.parse(l).msg), ["yes"]);
  });

  test("never shows a configured password or a bearer token, by field name or inside any text", () => {
    const password = 'pa55"w\\ord!';
    const token = "tok-8Hq2vX9s";
    const { log, raw, lines } = capture([password]);
    const err = new Error(`connect failed for mysql://easytask:${encodeURIComponent(password)}@db:3306/easytask and easytask:${password}@tcp(db:3306)/easytask`);
    log.error("request failed", { err });
    log.info(`something with ${password} in the message`);
    log.warn("calling", { headers: { authorization: `Bearer ${token}` }, url: `https://user:${token}@example.com/x` });
    log.info("config", { config: { store: { password, url: `mysql://u:${encodeURIComponent(password)}@h/db` }, redis: { nodes: [{ password }] } } });
    log.info("fields", { token, secret: "s3cret-value", nested: { password: "another-one" } });
    log.info("free text", { detail: `Authorization: Bearer ${token}` });
    for (const line of raw) {
      assert.ok(!line.includes(password) && !line.includes(JSON.stringify(password).slice(1, -1)), line);
      assert.ok(!line.includes(encodeURIComponent(password)), line);
      assert.ok(!line.includes(token), line);
      assert.ok(!line.includes("s3cret-value") && !line.includes("another-one"), line);
    }
    assert.equal(lines().length, 6, "every line is still JSON");
    assert.match(raw.join(""), /\[REDACTED\]/);
    assert.match(String((lines()[0]!.err as { message: string }).message), /^connect failed for mysql:\/\/easytask:\[REDACTED\]@db:3306/);
  });
});

for (const dialect of DIALECTS) {
  describe(`log lines of a node on ${dialect}`, () => {
    let node: TestNode;
    const worker = new FakeTaskServer();
    const { log, lines } = capture();

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect, {}, { log });
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    test("lines logged while handling a request carry its x-easy-task-trace-id", async () => {
      const traced = (id: string) => lines().filter((l) => l.trace_id === id);
      await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port, is_enable_health_check: true }, { "x-easy-task-trace-id": "trace-documented-1" });
      const viaConnect = clients(node.port);
      await viaConnect.registry.listTaskServers({}, { headers: { "x-easy-task-trace-id": "trace-connect-1" } });
      await viaConnect.tasks.getTask({ taskId: 12345n }, { headers: { "x-easy-task-trace-id": "trace-connect-2" } }).catch(() => undefined);
      assert.deepEqual(
        traced("trace-documented-1").map((l) => [l.msg, l.method, l.code]),
        [["api request", "easytask.v1.RegistryService/AddTaskServer", "ok"]],
      );
      assert.deepEqual(traced("trace-connect-1").map((l) => [l.msg, l.method, l.code]), [["api request", "easytask.v1.RegistryService/ListTaskServers", "ok"]]);
      assert.deepEqual(traced("trace-connect-2").map((l) => [l.msg, l.code]), [["api request", "not_found"]]);
      // A W3C traceparent names the trace first.
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      await viaConnect.registry.listTaskServers({}, { headers: { traceparent, "x-easy-task-trace-id": "trace-connect-3" } });
      assert.deepEqual(traced("0af7651916cd43dd8448eb211c80319c").map((l) => [l.msg, l.code]), [["api request", "ok"]]);
      // A request without either gets a trace id made up for it.
      await viaConnect.registry.listTaskServers({});
      const last = lines().filter((l) => l.msg === "api request").at(-1)!;
      assert.match(String(last.trace_id), /^[0-9a-f]{32}$/);
      assert.equal(lines().find((l) => l.msg === "easytask node started")!.trace_id, undefined, "lines outside requests have none");
    });

    test("lines about a run carry its ids and the trace id sent to the task server", async () => {
      const res = await postDocumented(node.port, "/add_task", { name: "logged", srv_name: "w", callback_path: "/logged", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
      assert.equal(res.json.code, 0, res.json.msg);
      const taskId = Number((res.json.data as { task_id: string }).task_id);
      const [call] = await waitFor("the callback", () => worker.tasks("/logged"), (c) => c.length === 1);
      const answered = await waitFor("its log line", () => lines().find((l) => l.msg === "callback answered" && l.task_id === taskId), (l) => l !== undefined);
      assert.equal(answered!.run_times, 1);
      assert.equal(answered!.attempt, 1);
      assert.equal(answered!.state, "SUCCEEDED");
      assert.equal(answered!.trace_id, call!.headers["x-easy-task-trace-id"]);
      assert.match(String(answered!.trace_id), /^[0-9a-f]{32}$/);
      // The same trace in W3C's header, for the task server's own tracing.
      assert.match(String(call!.headers.traceparent), new RegExp(`^00-${answered!.trace_id}-[0-9a-f]{16}-01$`));
      const [heartbeat] = await waitFor("a heartbeat", () => worker.heartbeats(), (h) => h.length >= 1);
      assert.match(String(heartbeat!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      assert.equal(String(heartbeat!.headers.traceparent).split("-")[1], heartbeat!.headers["x-easy-task-trace-id"]);
    });
  });
}

describe("the easytask command's log", () => {
  const dir = mkdtempSync(join(tmpdir(), "easytask-logs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("never shows the MySQL password or the API token, at debug level", async () => {
    const { store } = await freshStore("mysql");
    assert.equal(store.kind, "mysql");
    if (store.kind !== "mysql") return;
    const password = "Sup3r-Secret-pw";
    const token = "bearer-tok-4Wq7-Zr8kLm2";
    const admin = await createConnection(`mysql://root@${store.host}:${store.port}/`);
    await admin.query(`CREATE USER IF NOT EXISTS 'et_logs'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ALL ON ${store.database}.* TO 'et_logs'@'%'`);
    await admin.end();
    const conf = join(dir, "conf.json");
    writeFileSync(
      conf,
      JSON.stringify({
        mysql: { dsn: `et_logs:${password}@tcp(${store.host}:${store.port})/${store.database}?charset=utf8mb4&parseTime=True&loc=Local` },
        redis: { nodes: [{ host: "127.0.0.1", port: 6379, password }] },
        auth: { tokens: [token] },
        log: { level: "debug", log_dir: "/var/log/easytask/" },
        api_server: { http: { host: "127.0.0.1", port: 0 } },
      }),
    );
    const node = await startNodeProcess(["-c", conf]);
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: 9 }, auth)).json.code, 0);
    await postDocumented(node.port, "/stop_task", { task_id: "1" }, auth);
    await postDocumented(node.port, "/stop_task", { task_id: "1" }, { authorization: `Bearer ${token}-wrong` });
    await clients(node.port).registry.listTaskServers({}, { headers: auth });
    assert.equal((await node.stop()).code, 0);
    const text = node.lines().map((l) => JSON.stringify(l)).join("\n");
    assert.ok(node.lines().some((l) => l.msg === "configuration"), "the configuration is logged at debug level");
    assert.ok(node.lines().some((l) => l.msg === "log.log_dir and log.file_size are ignored: logs go to stdout as JSON lines"));
    assert.deepEqual(
      node.lines().filter((l) => l.msg === "api request").map((l) => l.code),
      ["ok", "not_found", "unauthenticated", "ok"],
    );
    assert.ok(!text.includes(password), "no line holds the password");
    assert.ok(!text.includes(token), "no line holds the token");
  });
});

describe("the easytask command's output stays JSON lines", () => {
  const dir = mkdtempSync(join(tmpdir(), "easytask-output-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const start = (name: string) =>
    startNodeProcess([], {
      EASYTASK_SQLITE__PATH: join(dir, `${name}.db`),
      EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
      EASYTASK_API_SERVER__HTTP__PORT: "0",
      EASYTASK_LOG__LEVEL: "debug",
    });

  test("HTTP/2 streams reset by the client mid-body print nothing to stderr", async () => {
    const node = await start("reset");
    const client = http2Client(node.port);
    try {
      for (const [path, type] of [
        ["/easytask.v1.TaskService/AddTask", "application/json"],
        ["/easytask.v1.TaskService/AddTask", "application/grpc"],
        ["/easytask.v1.TaskService/AddTask", "application/grpc-web+proto"],
        ["/add_task", "application/json"],
      ] as const) {
        const stream = client.session.request({ ":method": "POST", ":path": path, "content-type": type, "content-length": "100000" }, { endStream: false });
        stream.on("error", () => {});
        const closed = new Promise((r) => stream.once("close", r));
        // The start of a body the server waits for the rest of: JSON, or a
        // gRPC frame declaring 50,000 bytes.
        stream.write(type === "application/json" ? Buffer.alloc(1000, "{") : envelope(Buffer.alloc(995), 50_000));
        await new Promise((r) => setTimeout(r, 50));
        if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
        await closed;
      }
      // The session still serves.
      assert.equal((await client.send({ path: "/easytask.v1.ClusterService/GetCluster", headers: { "content-type": "application/json" }, body: "{}" })).status, 200);
    } finally {
      client.close();
    }
    const { code, stderr } = await node.stop();
    assert.equal(code, 0);
    assert.equal(stderr, "");
  });

  test("a closed stdout does not stop the node", async () => {
    const node = await start("epipe");
    // The reader goes away, as when a process manager's pipe closes.
    node.proc.stdout!.destroy();
    const api = clients(node.port);
    // Every request logs a debug line into the closed pipe.
    for (let i = 0; i < 20; i++) await api.cluster.getCluster({});
    assert.equal(node.proc.exitCode, null, "still running");
    assert.equal((await api.cluster.getCluster({})).nodeId !== "", true);
    const { code, stderr } = await node.stop();
    assert.equal(code, 0, stderr);
  });
});
