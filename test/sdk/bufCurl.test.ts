import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, run, startEasytask, transcript, type Easytask } from "./support.js";

// `buf curl` as the README shows it: with the schema from proto/, and with
// the schema from the server's reflection service.
const BUF = join(ROOT, "node_modules/.bin/buf");
let easytask: Easytask;

before(async () => {
  easytask = await startEasytask();
});
after(() => easytask.stop());

async function bufCurl(method: string, data: unknown, ...flags: string[]) {
  const ran = await run(BUF, ["curl", "--schema", "proto", "-v", ...flags, "-d", JSON.stringify(data), `${easytask.url}/easytask.v1.${method}`]);
  return { ...ran, json: ran.code === 0 ? (JSON.parse(ran.stdout) as Record<string, unknown>) : undefined };
}

const grpcH2c = ["--protocol", "grpc", "--http2-prior-knowledge"];

test("Connect over HTTP/1.1: register, add and read a task", async () => {
  const added = await bufCurl("RegistryService/AddTaskServer", { name: "bufcurl", schema: "http", host: "127.0.0.1", port: 9 });
  assert.equal(added.code, 0, transcript("buf curl AddTaskServer", added));
  assert.deepEqual(added.json, {});
  assert.match(added.stderr, /< \(#1\) HTTP\/1\.1 200 OK/);

  const task = await bufCurl("TaskService/AddTask", { name: "t", srv_name: "bufcurl", sched_mode: 3, time_interval_sec: 3600, arg: "{}" });
  assert.equal(task.code, 0, transcript("buf curl AddTask", task));
  const taskId = task.json?.taskId;
  assert.match(String(taskId), /^[1-9]\d*$/);

  const got = await bufCurl("TaskService/GetTask", { task_id: taskId });
  assert.equal(got.code, 0, transcript("buf curl GetTask", got));
  const gotTask = got.json?.task as Record<string, unknown>;
  assert.equal(gotTask.srvName, "bufcurl");
  assert.equal(gotTask.schedMode, "SCHED_MODE_INTERVAL");
  assert.equal(gotTask.state, "TASK_STATE_SCHEDULED");

  const logs = await bufCurl("TaskService/ListTaskLogs", { task_id: taskId });
  assert.equal(logs.code, 0, transcript("buf curl ListTaskLogs", logs));
  assert.deepEqual(logs.json, {});
});

test("gRPC over cleartext HTTP/2", async () => {
  const listed = await bufCurl("RegistryService/ListTaskServers", {}, ...grpcH2c);
  assert.equal(listed.code, 0, transcript("buf curl --protocol grpc ListTaskServers", listed));
  assert.match(listed.stderr, /< \(#1\) HTTP\/2\.0 200 OK/);
  assert.match(listed.stderr, /< \(#1\) Content-Type: application\/grpc/);
  const servers = listed.json?.taskServers as { name: string; routes: { port: number }[] }[];
  assert.deepEqual(
    servers.map((s) => [s.name, s.routes[0].port]),
    [["bufcurl", 9]],
  );
});

test("refusals come back with their code and message over both protocols", async () => {
  for (const flags of [[], grpcH2c]) {
    const missing = await bufCurl("TaskService/GetTask", { task_id: "999" }, ...flags);
    assert.notEqual(missing.code, 0, transcript("buf curl GetTask 999", missing));
    assert.match(missing.stdout + missing.stderr, /"code": "not_found"/);
    assert.match(missing.stdout + missing.stderr, /task 999 not found/);
    const invalid = await bufCurl("TaskService/AddTask", { name: "x", srv_name: "bufcurl" }, ...flags);
    assert.match(invalid.stdout + invalid.stderr, /"code": "invalid_argument"/);
    assert.match(invalid.stdout + invalid.stderr, /sched_mode is required/);
  }
});

describe("server reflection, behind the API token", () => {
  const TOKEN = "tok-reflection-0123456789";
  let secured: Easytask;
  before(async () => {
    secured = await startEasytask({ EASYTASK_AUTH__TOKENS: TOKEN });
  });
  after(() => secured.stop());

  // Without --schema: buf curl asks the server (always over HTTP/2).
  const reflected = (...args: string[]) => run(BUF, ["curl", "-H", `Authorization: Bearer ${TOKEN}`, "--reflect-header", "*", ...args]);
  const ours = (listed: string) => listed.split("\n").filter((l) => l.startsWith("easytask."));

  test("buf curl --list-methods finds every method, over Connect and gRPC, with both reflection versions", async () => {
    const listings = [];
    for (const flags of [[], ["--protocol", "grpc", "--reflect-protocol", "grpc-v1alpha"], ["--protocol", "grpcweb", "--reflect-protocol", "grpc-v1"]]) {
      const listed = await reflected("--list-methods", ...flags, secured.url);
      assert.equal(listed.code, 0, transcript(`buf curl --list-methods ${flags.join(" ")}`, listed));
      listings.push(ours(listed.stdout));
    }
    assert.ok(listings[0]!.includes("easytask.v1.TaskService/AddTask"));
    assert.ok(listings[0]!.includes("easytask.v1.RegistryService/AddTaskServer"));
    assert.ok(listings[0]!.includes("easytask.v1.ClusterService/GetCluster"));
    assert.deepEqual(listings[1], listings[0]);
    assert.deepEqual(listings[2], listings[0]);
  });

  test("a call without --schema: the types come from the server, with their imports", async () => {
    const added = await reflected("-d", JSON.stringify({ name: "reflected", schema: "http", host: "127.0.0.1", port: 9 }), `${secured.url}/easytask.v1.RegistryService/AddTaskServer`);
    assert.equal(added.code, 0, transcript("buf curl AddTaskServer", added));
    // The answer holds a Timestamp (google/protobuf/timestamp.proto) and an enum.
    const task = await reflected("--protocol", "grpc", "-d", JSON.stringify({ name: "t", srv_name: "reflected", sched_mode: "SCHED_MODE_INTERVAL", time_interval_sec: 3600 }), `${secured.url}/easytask.v1.TaskService/AddTask`);
    assert.equal(task.code, 0, transcript("buf curl AddTask", task));
    const taskId = (JSON.parse(task.stdout) as { taskId: string }).taskId;
    const got = await reflected("-d", JSON.stringify({ task_id: taskId }), `${secured.url}/easytask.v1.TaskService/GetTask`);
    assert.equal(got.code, 0, transcript("buf curl GetTask", got));
    const gotTask = (JSON.parse(got.stdout) as { task: { schedMode: string; nextFireAt: string } }).task;
    assert.equal(gotTask.schedMode, "SCHED_MODE_INTERVAL");
    assert.match(gotTask.nextFireAt, /^\d{4}-\d\d-\d\dT/);
  });

  test("reflection needs the token like the API", async () => {
    for (const flags of [[], ["--protocol", "grpc"]]) {
      const refused = await run(BUF, ["curl", "--list-methods", ...flags, secured.url]);
      assert.notEqual(refused.code, 0, transcript("buf curl --list-methods without a token", refused));
      // buf curl words the server's unauthenticated in its own way.
      assert.match(refused.stderr, /not authenticated/);
    }
  });
});
