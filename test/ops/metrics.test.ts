import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { clients, postDocumented, readyz } from "../support/api.js";
import { sample, scrape } from "../support/metrics.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

const runs = (task_server: string, result: string) => ["easytask_runs_total", { task_server, result }] as const;

for (const dialect of DIALECTS) {
  describe(`/metrics on ${dialect}`, () => {
    let node: TestNode;
    const worker = new FakeTaskServer();
    const dead = new FakeTaskServer();
    const metric = async (name: string, labels: Record<string, string> = {}) => sample(await scrape(node.port), name, labels);
    const waitMetric = (name: string, labels: Record<string, string>, done: (v: number | undefined) => boolean) =>
      waitFor(`${name} ${JSON.stringify(labels)}`, () => metric(name, labels), done);
    // Each task server is the same real server under another name, so
    // every outcome has a label of its own.
    const register = async (name: string, port: number, extra: Record<string, unknown> = {}) => {
      const res = await postDocumented(node.port, "/add_task_server", { name, schema: "http", host: "127.0.0.1", port, ...extra });
      assert.equal(res.json.code, 0, res.json.msg);
    };
    const fireOnce = async (srv: string, path: string) => {
      const res = await postDocumented(node.port, "/add_task", { name: srv, srv_name: srv, callback_path: path, sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
      assert.equal(res.json.code, 0, res.json.msg);
      return (res.json.data as { task_id: string }).task_id;
    };

    before(async () => {
      await worker.start();
      await dead.start();
      worker.answer("/ok", { body: { is_success: true } });
      worker.answer("/refuse", { body: { is_success: false, extra: "no" } });
      worker.answer("/hang", "hang");
      worker.answer("/async", { body: { is_run_in_async: true } });
      node = await startTestNode(dialect);
    });
    after(async () => {
      await node.stop();
      await worker.stop();
      await dead.stop();
    });

    test("is Prometheus text, and this standalone node is the leader", async () => {
      const res = await fetch(`http://127.0.0.1:${node.port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      assert.match(text, /^# HELP easytask_runs_total /m);
      assert.match(text, /^# TYPE easytask_firing_lateness_seconds histogram$/m);
      assert.equal(sample(text, "easytask_leader"), 1);
      assert.equal(sample(text, "easytask_shards_led"), 64, "a standalone node leads every shard");
      assert.equal(sample(text, "easytask_callbacks_in_flight"), 0);
      assert.ok(sample(text, "process_resident_memory_bytes")! > 0, "the process metrics are there too");
    });

    test("/healthz and /readyz answer for a live node with its database", async () => {
      const health = await fetch(`http://127.0.0.1:${node.port}/healthz`);
      assert.equal(health.status, 200);
      assert.equal(await health.text(), "ok\n");
      const ready = await readyz(node.port);
      assert.equal(ready.status, 200);
      assert.deepEqual({ ready: ready.body.ready, leading: ready.body.leading, node_id: ready.body.node_id }, { ready: true, leading: true, node_id: node.nodeId });
    });

    // Alone in flight until the test kills it: the gauge is read while
    // nothing else can be running or ending.
    test("a callback in flight is counted until it ends", async () => {
      await register("held-srv", worker.port, { callback_timeout_sec: 3600 });
      const taskId = await fireOnce("held-srv", "/hang");
      await waitFor("the hanging callback", () => worker.tasks("/hang"), (c) => c.length === 1);
      assert.equal(await metric("easytask_callbacks_in_flight"), 1);
      await clients(node.port).tasks.killRun({ taskId: BigInt(taskId), runTimes: 1 });
      await waitMetric(...runs("held-srv", "killed"), (v) => v === 1);
      // The kill is counted when it is recorded; the cut callback leaves
      // the dispatcher a moment later.
      await waitMetric("easytask_callbacks_in_flight", {}, (v) => v === 0);
    });

    test("runs fired, succeeded, failed and timed out are counted by task server, with lateness and duration", async () => {
      await register("ok-srv", worker.port);
      await register("bad-srv", worker.port);
      await register("slow-srv", worker.port, { callback_timeout_sec: 2 });
      await fireOnce("ok-srv", "/ok");
      await fireOnce("bad-srv", "/refuse");
      await fireOnce("slow-srv", "/hang");

      await waitMetric(...runs("ok-srv", "succeeded"), (v) => v === 1);
      await waitMetric(...runs("bad-srv", "failed"), (v) => v === 1);
      await waitMetric(...runs("slow-srv", "timeout"), (v) => v === 1);
      const text = await scrape(node.port);
      for (const srv of ["ok-srv", "bad-srv", "slow-srv"]) {
        assert.equal(sample(text, "easytask_runs_fired_total", { task_server: srv }), 1, srv);
        assert.equal(sample(text, "easytask_callback_duration_seconds_count", { task_server: srv }), 1, srv);
      }
      assert.equal(sample(text, ...runs("ok-srv", "failed")), undefined, "no other result for ok-srv");
      assert.ok(sample(text, "easytask_callback_duration_seconds_sum", { task_server: "slow-srv" })! >= 2, "the timed-out callback lasted its timeout");
      assert.equal(sample(text, "easytask_firing_lateness_seconds_count"), 4, "these three and the killed one");
      // Tasks 1 to 4 are in shards 1 to 4 (of 64).
      for (const shard of ["1", "2", "3", "4"]) assert.equal(sample(text, "easytask_runs_fired_by_shard_total", { shard }), 1, `shard ${shard}`);
      assert.equal(sample(text, "easytask_callbacks_in_flight"), 0);
      assert.equal(sample(text, "easytask_routes", { task_server: "ok-srv", health: "healthy" }), 1);
      assert.equal(sample(text, "easytask_routes", { task_server: "ok-srv", health: "failing" }), 0);
    });

    test("an async run counts when it is confirmed", async () => {
      await register("async-srv", worker.port);
      const taskId = await fireOnce("async-srv", "/async");
      await waitFor("the async callback", () => worker.tasks("/async"), (c) => c.length === 1);
      await waitFor(
        "the run to wait for its confirmation",
        async () => (await clients(node.port).tasks.listTaskLogs({ taskId: BigInt(taskId) })).taskLogs[0]?.state,
        (s) => s === RunState.ASYNC_WAITING,
      );
      assert.equal(await metric(...runs("async-srv", "succeeded")), undefined, "not before the confirmation");
      const confirmed = await postDocumented(node.port, "/confirm_task", { task_id: taskId, task_run_times: 1, is_success: true });
      assert.equal(confirmed.json.code, 0, confirmed.json.msg);
      await waitMetric(...runs("async-srv", "succeeded"), (v) => v === 1);
    });

    test("a route that fails its heartbeats is counted evicted", async () => {
      await register("dead-srv", dead.port, { is_enable_health_check: true });
      dead.pong = { pong: false };
      await waitMetric("easytask_routes_evicted_total", { task_server: "dead-srv" }, (v) => v === 1);
      assert.equal(await metric("easytask_routes", { task_server: "dead-srv", health: "healthy" }), 0);
      assert.equal(await metric("easytask_routes", { task_server: "dead-srv", health: "evicted" }), 1);
    });

    test("API requests are counted by RPC, protocol and code, over Connect, gRPC and the documented paths", async () => {
      const method = (rpc: string) => `easytask.v1.${rpc}`;
      const before = await scrape(node.port);
      const count = (text: string, rpc: string, protocol: string, code: string) => sample(text, "easytask_api_requests_total", { method: method(rpc), protocol, code }) ?? 0;
      await clients(node.port).registry.listTaskServers({});
      await clients(node.port, "grpc").registry.listTaskServers({});
      await assert.rejects(clients(node.port).tasks.getTask({ taskId: 999_999n }), ConnectError);
      const bad = await postDocumented(node.port, "/add_task", { srv_name: "ok-srv", sched_mode: 3 });
      assert.equal(bad.json.code, 10001);
      const bodyless = await postDocumented(node.port, "/stop_task", "not json");
      assert.equal(bodyless.json.code, 10001);
      const after = await scrape(node.port);
      const moved = (rpc: string, protocol: string, code: string) => count(after, rpc, protocol, code) - count(before, rpc, protocol, code);
      assert.equal(moved("RegistryService/ListTaskServers", "connect", "ok"), 1);
      assert.equal(moved("RegistryService/ListTaskServers", "grpc", "ok"), 1);
      assert.equal(moved("TaskService/GetTask", "connect", "not_found"), 1);
      assert.equal(moved("TaskService/AddTask", "documented", "invalid_argument"), 1);
      assert.equal(moved("TaskService/StopTask", "documented", "invalid_argument"), 1);
      assert.ok(count(after, "RegistryService/AddTaskServer", "documented", "ok") >= 4, "the registrations above");
      assert.doesNotMatch(after, /task_id=/, "task ids are never labels");
    });
  });
}

describe("/metrics with API tokens", () => {
  const TOKEN = "metrics-test-token-0123456789";
  const get = (port: number, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}/metrics`, { headers });

  test("stays open by default, and counts refused calls as unauthenticated", async () => {
    const node = await startTestNode("sqlite", { auth: { tokens: [TOKEN], protectHealth: false, protectMetrics: false } });
    try {
      await assert.rejects(clients(node.port).registry.listTaskServers({}), ConnectError);
      const refused = await postDocumented(node.port, "/stop_task", { task_id: "1" });
      assert.equal(refused.status, 401);
      const res = await get(node.port);
      assert.equal(res.status, 200);
      const text = await res.text();
      const labels = (method: string, protocol: string) => ({ method: `easytask.v1.${method}`, protocol, code: "unauthenticated" });
      assert.equal(sample(text, "easytask_api_requests_total", labels("RegistryService/ListTaskServers", "connect")), 1);
      assert.equal(sample(text, "easytask_api_requests_total", labels("TaskService/StopTask", "documented")), 1);
    } finally {
      await node.stop();
    }
  });

  test("auth.protect_metrics asks for a token", async () => {
    const node = await startTestNode("sqlite", { auth: { tokens: [TOKEN], protectHealth: false, protectMetrics: true } });
    try {
      assert.equal((await get(node.port)).status, 401);
      assert.equal((await get(node.port, { authorization: "Bearer wrong-token-0123456789" })).status, 401);
      const res = await get(node.port, { authorization: `Bearer ${TOKEN}` });
      assert.equal(res.status, 200);
      assert.equal(sample(await res.text(), "easytask_leader"), 1);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/healthz`)).status, 200, "health stays open");
    } finally {
      await node.stop();
    }
  });
});
