import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { getOption, ScalarType, type DescField, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { legacy_path } from "../../gen/easytask/v1/options_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";
import { changesData } from "../../src/server/auth.js";
import { postDocumented } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";

after(stopSharedMariaDb);

// Thousands of malformed or extreme requests to every endpoint. Each one
// must be refused with a 4xx or an error envelope (never a 5xx, never a
// dropped connection), and afterwards the database must hold exactly what
// the valid requests mixed in among them wrote. The generator is seeded, so
// a failure names the seed that reproduces it (EASYTASK_FUZZ_SEED).
const SEED = Number(process.env.EASYTASK_FUZZ_SEED ?? 20261125);
const REQUESTS = 3000;
const VALID_EVERY = 40;

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Rand = ReturnType<typeof prng>;

const SERVICES: DescService[] = [TaskService, RegistryService, ClusterService];
const FAR_FUTURE = 4102444800; // 2100-01-01: tasks that never fire during the test
const SERVER = "fuzz-srv";

// A valid request per method, the base for single-field mutations.
function templates(taskId: string): Record<string, Record<string, unknown>> {
  return {
    AddTask: { name: "fz", biz_id: "b", srv_name: SERVER, callback_path: "/run", sched_mode: 2, time_spec_at: FAR_FUTURE, arg: "{}" },
    AddTaskServer: { name: SERVER, schema: "http", host: "127.0.0.1", port: 9, is_enable_health_check: false, secret: "fuzz-secret-0123456789" },
    DelTaskServer: { name: SERVER, schema: "http", host: "127.0.0.1", port: 9 },
    ConfirmTask: { task_id: taskId, task_run_times: 1, is_success: true, extra: "" },
    KillRun: { task_id: taskId, run_times: 1 },
    ListTasks: { page_size: 10 },
  };
}
const templateFor = (t: Record<string, Record<string, unknown>>, m: DescMethod, taskId: string) => t[m.name] ?? { task_id: taskId };

// A value of the wrong JSON type for the field: the decoder must refuse it.
function wrongType(f: DescField, r: Rand): unknown {
  if (f.fieldKind === "list") return r.pick(["x", 5, { a: 1 }]);
  if (f.fieldKind === "message" || f.fieldKind === "map") return r.pick(["x", 5, [1], true]);
  if (f.fieldKind === "enum") return r.pick(["NOT_A_VALUE", "1.5", 1.5, { a: 1 }, [1], true]);
  switch (f.scalar) {
    case ScalarType.STRING:
      return r.pick([12345, true, { a: 1 }, [1, 2], 1.5]);
    case ScalarType.BOOL:
      return r.pick(["yes", 2, { a: 1 }, [true]]);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return r.pick(["abc", { a: 1 }, [1], true]);
    default: // integers
      return r.pick(["abc", 1.5, "1.5", { a: 1 }, [1], true, "99999999999999999999999999", 1e300, -1e300]);
  }
}

// Values of the right type that the service must refuse, per field name.
const SEMANTIC: Record<string, unknown[]> = {
  name: ["", " ", "x".repeat(256), "a\u0000b", "line\nforged", "\u001b[31mred"],
  srv_name: ["", "no-such-server", "x".repeat(300)],
  biz_id: ["x".repeat(256), "a\u0007b"],
  callback_path: ["/a b", "/x?y=1", "/x#f", "/" + "p".repeat(1100)],
  sched_mode: [0, 9, -1],
  time_spec_at: [0, -1, 253402300800, "99999999999999"],
  arg: ["x".repeat(300 * 1024)],
  schema: ["", "ftp", "javascript", "HTTP://"],
  host: ["", "http://x/y", "a b", "x".repeat(300), "169.254.169.254", "10.0.0.1", "[::1]", "localhost", "*.x"],
  port: [0, 65536, 99999999],
  callback_timeout_sec: [3601, 4294967295],
  secret: ["short", "with a space 0123456789", "x".repeat(257), "tab\t0123456789abcdef"],
  task_id: [0, -1, "0", "-5", "9007199254740993", "abc", 1.5],
  task_run_times: [0],
  run_times: [0],
  extra: ["x".repeat(65 * 1024)],
  page_size: [1001, 4294967295],
  page_token: ["zzz", "-1", "1".repeat(40)],
};

// ListTaskLogs takes task_id 0 as "every task's runs".
const semantic = (method: string, field: string): unknown[] | undefined =>
  method === "ListTaskLogs" && field === "task_id" ? SEMANTIC.task_id.filter((v) => Number(v) !== 0) : SEMANTIC[field];

const UNICODE = ["任务-✓-🚀", "مهمة", "e\u0301", "zero\u200bwidth", "𝕏".repeat(60)];

interface Shot {
  path: string;
  method?: string;
  contentType?: string;
  body?: string | Buffer;
}

// A request that must be refused.
function hostile(r: Rand, taskId: string): Shot {
  const t = templates(taskId);
  const service = r.pick(SERVICES);
  const method = r.pick(service.methods);
  const legacy = getOption(method, legacy_path);
  const documented = legacy !== "" && r.next() < 0.5;
  const path = documented ? legacy : `/${service.typeName}/${method.name}`;
  const readOnly = !changesData(method);
  const base = templateFor(t, method, taskId);
  const mutate = (): Record<string, unknown> => {
    const fields = method.input.fields;
    const body = { ...base };
    const named = fields.filter((f) => semantic(method.name, f.name) && f.name in base);
    if (named.length > 0 && r.next() < 0.5) {
      const f = r.pick(named);
      body[f.name] = r.pick(semantic(method.name, f.name)!);
    } else if (fields.length > 0) {
      const f = r.pick(fields);
      body[f.name] = wrongType(f, r);
    }
    return body;
  };
  const kind = r.int(10);
  // Read-only methods may answer a mutated request: nothing is written either way.
  if (kind < 5 && (!readOnly || method.input.fields.length > 0)) {
    if (!readOnly || r.next() < 0.2) return { path, body: JSON.stringify(mutate()), contentType: "application/json" };
  }
  const json = JSON.stringify(base);
  // Bodies no decoder can read, for every method.
  const undecodable: Shot[] = [
    { path, body: "{" + json.slice(1, 1 + r.int(json.length - 2)), contentType: "application/json" },
    { path, body: Buffer.from([0xff, ...Array.from({ length: r.int(200) }, () => r.int(256))]), contentType: "application/json" },
    { path, body: "[".repeat(100_000), contentType: "application/json" },
    { path, body: "1e999", contentType: "application/json" },
    { path, method: r.pick(["GET", "PUT", "DELETE", "PATCH"]), contentType: "application/json" },
  ];
  if (!documented) {
    undecodable.push(
      { path, body: json, contentType: r.pick(["text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"]) },
      // Wire type 7 does not exist, so no decoder can take these bytes for a message.
      { path, body: Buffer.from([0x0f, ...Array.from({ length: r.int(64) }, () => r.int(256))]), contentType: "application/proto" },
      { path, body: Buffer.from([0, 0, 0, 0, 3, 0x0f, 1, 2]), contentType: "application/grpc-web+proto" },
      { path, body: Buffer.from([0x80, 0xff, 0xff, 0xff, 0x7f, 1]), contentType: "application/grpc-web+proto" },
    );
  }
  // Decodable, but no valid request for a method that writes: empty or not an
  // object, or deeply nested unknown fields in place of the required ones.
  const notARequest: Shot[] = [
    { path, body: r.pick(["", "null", "true", "17", '"str"', "[]", "\ufeff{}", "{}"]), contentType: "application/json" },
    { path, body: `{"a":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`, contentType: "application/json" },
  ];
  return r.pick(readOnly ? undecodable : [...undecodable, ...notARequest]);
}

async function send(port: number, shot: Shot) {
  const headers: Record<string, string> = {};
  if (shot.contentType) headers["content-type"] = shot.contentType;
  if (shot.contentType?.startsWith("application/grpc-web")) headers["x-grpc-web"] = "1";
  const res = await fetch(`http://127.0.0.1:${port}${shot.path}`, { method: shot.method ?? "POST", headers, body: shot.method || shot.body === undefined ? undefined : (typeof shot.body === "string" ? shot.body : new Uint8Array(shot.body)) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function assertRefused(shot: Shot, res: { status: number; headers: Headers; text: string }) {
  const what = `${shot.method ?? "POST"} ${shot.path} ${shot.contentType} ${String(shot.body).slice(0, 400)} → ${res.status} ${res.text.slice(0, 200)}`;
  assert.ok(res.status < 500, `server error: ${what}`);
  if (res.status >= 400) return;
  assert.equal(res.status, 200, what);
  const grpcStatus = res.headers.get("grpc-status") ?? /grpc-status:\s*(\d+)/.exec(res.text)?.[1];
  if (res.headers.get("content-type")?.startsWith("application/grpc-web")) {
    assert.ok(grpcStatus !== undefined && grpcStatus !== "0", `gRPC-Web call accepted: ${what}`);
    return;
  }
  const envelope = JSON.parse(res.text) as { code: number; data: unknown };
  assert.notEqual(envelope.code, 0, `accepted: ${what}`);
  assert.equal(envelope.data, null, what);
}

async function snapshot(node: TestNode) {
  const db = node.store.kysely;
  return {
    task: await db.selectFrom("task").selectAll().orderBy("id").execute(),
    task_server: await db.selectFrom("task_server").selectAll().orderBy("id").execute(),
    task_server_route: await db.selectFrom("task_server_route").selectAll().orderBy("id").execute(),
    task_log: await db.selectFrom("task_log").selectAll().orderBy("id").execute(),
  };
}

for (const dialect of DIALECTS) {
  describe(`hostile input on ${dialect} (seed ${SEED})`, () => {
    let node: TestNode;
    before(async () => {
      node = await startTestNode(dialect, { callback: { allowedHosts: ["127.0.0.1"] } });
    });
    after(() => node.stop());

    test(`${REQUESTS} malformed requests are all refused; the database holds exactly what the valid ones wrote`, async () => {
      const r = prng(SEED);
      const valid = async (path: string, body: unknown) => {
        const res = await postDocumented(node.port, path, body);
        assert.equal(res.json.code, 0, `${path} ${JSON.stringify(body).slice(0, 100)}: ${res.json.msg}`);
        return res.json.data as { task_id?: string };
      };
      await valid("/add_task_server", { ...templates("1").AddTaskServer, unknown_field: { nested: [1] } });
      const first = await valid("/add_task", templates("1").AddTask);
      const taskId = first.task_id!;
      const before = await snapshot(node);
      const added: string[] = [];
      let refused = 0;
      for (let i = 1; i <= REQUESTS; i++) {
        if (i % VALID_EVERY === 0) {
          // Odd but valid: unicode names, unknown fields, arg at its limit.
          const name = `${r.pick(UNICODE)}-${i}`;
          const arg = i % (VALID_EVERY * 10) === 0 ? `\u0000${"é".repeat(128 * 1024 - 1)}\n` : "{}";
          const data = await valid("/add_task", { ...templates(taskId).AddTask, name, arg, extension: { x: 1 } });
          added.push(`${data.task_id}:${name}:${arg.length}`);
          continue;
        }
        const shot = hostile(r, taskId);
        assertRefused(shot, await send(node.port, shot));
        refused++;
      }
      assert.ok(refused > REQUESTS * 0.9);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/healthz`)).status, 200, "the server is still up");

      const after = await snapshot(node);
      assert.deepEqual(after.task_server, before.task_server);
      assert.deepEqual(after.task_server_route, before.task_server_route);
      assert.deepEqual(after.task_log, before.task_log);
      assert.deepEqual(after.task.slice(0, before.task.length), before.task, "no refused request changed a task");
      const created = after.task.slice(before.task.length).map((t) => `${t.id}:${t.name}:${t.arg.length}`);
      assert.deepEqual(created, added, "the only new tasks are the valid requests'");
    });
  });
}
