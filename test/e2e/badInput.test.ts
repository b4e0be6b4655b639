import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { clients, postDocumented, type Clients } from "../support/api.js";
import { envelope, grpcStatus, http2Client } from "../support/wire.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";

after(stopSharedMariaDb);

const task = { name: "t", srv_name: "worker", callback_path: "/run", sched_mode: 3, time_interval_sec: 5 };
const route = { name: "worker", schema: "http", host: "127.0.0.1", port: 9 };

// [path, body, envelope code, text the message must contain]
const CASES: [string, unknown, number, string][] = [
  ["/add_task", { ...task, name: "" }, 10001, "name is required"],
  ["/add_task", { ...task, name: undefined }, 10001, "name is required"],
  ["/add_task", { ...task, srv_name: undefined }, 10001, "srv_name is required"],
  ["/add_task", { ...task, sched_mode: undefined }, 10001, "sched_mode is required"],
  ["/add_task", { ...task, sched_mode: 9 }, 10001, "sched_mode"],
  ["/add_task", { ...task, time_interval_sec: undefined }, 10001, "time_interval_sec"],
  ["/add_task", { ...task, sched_mode: 1 }, 10001, "time_cron"],
  ["/add_task", { ...task, sched_mode: 1, time_cron: "61 * * * *" }, 10001, "time_cron"],
  ["/add_task", { ...task, sched_mode: 1, time_cron: "hello" }, 10001, "time_cron"],
  ["/add_task", { ...task, sched_mode: 1, time_cron: "0 0 0 * * * 2027" }, 10001, "year"],
  ["/add_task", { ...task, sched_mode: 2 }, 10001, "time_spec_at"],
  ["/add_task", { ...task, time_interval_sec: -1 }, 10001, "time_interval_sec"],
  ["/add_task", { ...task, time_interval_sec: "soon" }, 10001, "time_interval_sec"],
  ["/add_task", { ...task, name: 5 }, 10001, "name"],
  ["/add_task", { ...task, name: "x".repeat(256) }, 10001, "name is longer than 255"],
  ["/add_task", { ...task, callback_path: "/a b" }, 10001, "callback_path"],
  ["/add_task", { ...task, srv_name: "nobody" }, 10003, "task server nobody not found"],
  ["/stop_task", {}, 10001, "task_id is required"],
  ["/stop_task", { task_id: "abc" }, 10001, "task_id"],
  ["/stop_task", { task_id: 424242 }, 10002, "task 424242 not found"],
  ["/stop_task", { task_id: "424242" }, 10002, "task 424242 not found"],
  ["/confirm_task", { task_run_times: 1 }, 10001, "task_id is required"],
  ["/confirm_task", { task_id: "1" }, 10001, "task_run_times is required"],
  ["/confirm_task", { task_id: "424242", task_run_times: 1, is_success: true }, 10002, "task 424242 not found"],
  ["/add_task_server", { ...route, schema: "ftp" }, 10001, 'schema must be "http" or "https"'],
  ["/add_task_server", { ...route, schema: undefined }, 10001, "schema is required"],
  ["/add_task_server", { ...route, host: undefined }, 10001, "host is required"],
  ["/add_task_server", { ...route, host: "http://x/y" }, 10001, "host"],
  ["/add_task_server", { ...route, port: undefined }, 10001, "port is required"],
  ["/add_task_server", { ...route, port: 70000 }, 10001, "port"],
  ["/add_task_server", { ...route, name: undefined }, 10001, "name is required"],
  ["/add_task_server", { ...route, callback_timeout_sec: 99999 }, 10001, "callback_timeout_sec"],
  ["/del_task_server", { ...route, name: "nobody" }, 10003, "task server nobody not found"],
  ["/del_task_server", { ...route, port: undefined }, 10001, "port is required"],
  ["/add_task", { ...task, arg: "é".repeat(128 * 1024 + 1) }, 10001, "arg is larger than 262144 bytes"],
  ["/add_task", { ...task, name: "a\nforged log line" }, 10001, "name must not contain control characters"],
  ["/add_task", { ...task, biz_id: "b\u0000" }, 10001, "biz_id must not contain control characters"],
  ["/add_task", { ...task, name: "\ud800" }, 10001, "invalid UTF8"],
  ["/add_task", { ...task, sched_mode: 1, time_cron: "0 ".repeat(200) }, 10001, "time_cron is longer than 255"],
  ["/add_task", { ...task, sched_mode: 1, time_cron: "0 0 * * * *", time_zone: "Z".repeat(65) }, 10001, "time_zone is longer than 64"],
  ["/confirm_task", { task_id: "424242", task_run_times: 1, extra: "x".repeat(64 * 1024 + 1) }, 10001, "extra is larger than 65536 bytes"],
  ["/add_task_server", { ...route, name: "w\r\n" }, 10001, "name must not contain control characters"],
  ["/add_task", { ...task, route_strategy: "ROUTE_STRATEGY_ROUND_ROBBIN" }, 10001, 'route_strategy: "ROUTE_STRATEGY_ROUND_ROBBIN" is not one of'],
  ["/add_task", { ...task, retryBackoff: { initial_sec: 1 }, misfirePolicy: "SKIP" }, 10001, 'misfire_policy: "SKIP" is not one of'],
  ["/add_task", "{not json", 10001, "request arguments are invalid"],
  ["/add_task", "[1,2]", 10001, "request arguments are invalid"],
  ["/add_task", "null", 10001, "request arguments are invalid"],
  ["/add_task", "", 10001, "request arguments are invalid"],
  ["/add_task", JSON.stringify({ ...task, arg: "x".repeat(2 * 1024 * 1024) }), 10001, "larger than 1048576 bytes"],
];

for (const dialect of DIALECTS) {
  describe(`bad input on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const counts = async () => {
      const db = node.store.kysely;
      const count = async (table: "task" | "task_server" | "task_server_route" | "task_log") =>
        Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
      return { task: await count("task"), task_server: await count("task_server"), task_server_route: await count("task_server_route"), task_log: await count("task_log") };
    };

    before(async () => {
      node = await startTestNode(dialect);
      api = clients(node.port);
    });
    after(() => node.stop());

    test("each bad request gets the documented code and a message naming the field, and changes nothing", async () => {
      const before = await counts();
      for (const [path, body, code, text] of CASES) {
        const res = await postDocumented(node.port, path, body);
        assert.equal(res.status, 200, `${path} ${JSON.stringify(body).slice(0, 80)}`);
        assert.equal(res.json.code, code, `${path} ${JSON.stringify(body).slice(0, 80)}: ${res.json.msg}`);
        assert.ok(res.json.msg.includes(text), `${path}: "${res.json.msg}" should mention "${text}"`);
        assert.equal(res.json.data, null);
        assert.match(res.json.hint, /^[0-9a-f]{32}$/);
      }
      assert.deepEqual(await counts(), before);
      const health = await fetch(`http://127.0.0.1:${node.port}/healthz`);
      assert.equal(health.status, 200, "the server keeps serving");
    });

    test("requests after a valid registration still change nothing when refused", async () => {
      assert.equal((await postDocumented(node.port, "/add_task_server", route)).json.code, 0);
      const before = await counts();
      for (const [path, body, code] of CASES) {
        if (path === "/add_task" && code === 10003) continue;
        const res = await postDocumented(node.port, path, body);
        assert.notEqual(res.json.code, 0, `${path} ${JSON.stringify(body).slice(0, 80)} must fail`);
      }
      assert.deepEqual(await counts(), before);
    });

    test("unknown JSON fields are ignored", async () => {
      const res = await postDocumented(node.port, "/add_task_server", { ...route, name: "extra", owner: "team-a", labels: { a: 1 } });
      assert.equal(res.json.code, 0, res.json.msg);
    });

    test("GET on a documented path is refused, unknown paths are 404", async () => {
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/add_task`)).status, 405);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/nope`, { method: "POST" })).status, 404);
    });

    test("over Connect, validation errors are invalid_argument and misses are not_found with a reason", async () => {
      const invalid = await api.tasks.addTask({ srvName: "worker", schedMode: 3, timeIntervalSec: 5 }).catch((e: unknown) => e);
      assert.ok(invalid instanceof ConnectError);
      assert.equal(invalid.code, Code.InvalidArgument);
      assert.equal(invalid.rawMessage, "name is required");
      assert.equal(invalid.findDetails(ErrorDetailSchema)[0]?.field, "name");

      const missingServer = await api.tasks.addTask({ name: "t", srvName: "nobody", schedMode: 3, timeIntervalSec: 5 }).catch((e: unknown) => e);
      assert.ok(missingServer instanceof ConnectError);
      assert.equal(missingServer.code, Code.NotFound);
      assert.equal(missingServer.findDetails(ErrorDetailSchema)[0]?.reason, ErrorReason.TASK_SERVER_NOT_FOUND);

      const missingTask = await api.tasks.getTask({ taskId: 424242n }).catch((e: unknown) => e);
      assert.ok(missingTask instanceof ConnectError);
      assert.equal(missingTask.code, Code.NotFound);
      assert.equal(missingTask.findDetails(ErrorDetailSchema)[0]?.reason, ErrorReason.TASK_NOT_FOUND);

      const badPage = await api.tasks.listTasks({ pageToken: "zzz" }).catch((e: unknown) => e);
      assert.ok(badPage instanceof ConnectError);
      assert.equal(badPage.code, Code.InvalidArgument);
    });

    test("over Connect JSON an unknown enum name is invalid_argument naming the field, not read as the default", async () => {
      const before = await counts();
      const res = await fetch(`http://127.0.0.1:${node.port}/easytask.v1.TaskService/AddTask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...task, overlap_policy: "OVERLAP_POLICY_SKIP", route_strategy: "ROUTE_STRATEGY_ROUND_ROBBIN" }),
      });
      assert.equal(res.status, 400);
      const error = (await res.json()) as { code: string; message: string; details?: unknown[] };
      assert.equal(error.code, "invalid_argument");
      assert.match(error.message, /^route_strategy: "ROUTE_STRATEGY_ROUND_ROBBIN" is not one of ROUTE_STRATEGY_UNSPECIFIED, /);
      assert.equal(error.details?.length, 1, "the ErrorDetail names the field");
      assert.deepEqual(await counts(), before);
    });

    test("protobuf bytes that do not decode are invalid_argument in Connect, gRPC and gRPC-Web, not internal", async () => {
      const url = `http://127.0.0.1:${node.port}/easytask.v1.TaskService/AddTask`;
      const garbage = new Uint8Array([0x0f, 1, 2, 3]);
      const connect = await fetch(url, { method: "POST", headers: { "content-type": "application/proto" }, body: garbage });
      assert.equal(connect.status, 400);
      assert.equal(((await connect.json()) as { code: string }).code, "invalid_argument");
      const frame = new Uint8Array([0, 0, 0, 0, garbage.length, ...garbage]);
      const web = await fetch(url, { method: "POST", headers: { "content-type": "application/grpc-web+proto" }, body: frame });
      assert.equal(web.status, 200);
      assert.match(Buffer.from(await web.arrayBuffer()).toString("latin1"), /grpc-status: 3\r\n/);
      const h2 = http2Client(node.port);
      try {
        const grpc = await h2.send({ path: "/easytask.v1.TaskService/AddTask", headers: { "content-type": "application/grpc" }, body: envelope(garbage) });
        assert.equal(grpcStatus(grpc), "3");
      } finally {
        h2.close();
      }
    });

    test("an oversized Connect request is refused without reaching the store", async () => {
      const before = await counts();
      const res = await fetch(`http://127.0.0.1:${node.port}/easytask.v1.TaskService/AddTask`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...task, arg: "x".repeat(2 * 1024 * 1024) }),
      });
      assert.notEqual(res.status, 200);
      assert.deepEqual(await counts(), before);
    });
  });
}
