import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/easytask/v1/errors_pb.js";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { MAX_ROUTES_PER_TASK_SERVER } from "../../src/service/registryService.js";
import { upsertRoute } from "../../src/store/taskServers.js";
import { clients, postDocumented, PROTOCOLS } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

const TOKEN = "tok-0123456789abcdef";
const OTHER_TOKEN = "tok-fedcba9876543210";
const route = (port: number, name = "worker", host = "127.0.0.1") => ({ name, schema: "http", host, port });

async function rowCounts(node: TestNode) {
  const db = node.store.kysely;
  const count = async (table: "task" | "task_server" | "task_server_route") =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { task: await count("task"), task_server: await count("task_server"), task_server_route: await count("task_server_route") };
}

const refusal = (err: unknown) => {
  assert.ok(err instanceof ConnectError, `expected a ConnectError, got ${String(err)}`);
  return err;
};

for (const dialect of DIALECTS) {
  describe(`API tokens on ${dialect}`, () => {
    let node: TestNode;

    before(async () => {
      node = await startTestNode(dialect, { auth: { tokens: [TOKEN, OTHER_TOKEN], protectHealth: false, protectMetrics: false } });
    });
    after(() => node.stop());

    for (const protocol of PROTOCOLS) {
      test(`over ${protocol} a call without the right token is unauthenticated and changes nothing`, async () => {
        const before = await rowCounts(node);
        for (const token of [undefined, "tok-wrong-0123456789", `${TOKEN}x`]) {
          const err = refusal(await clients(node.port, protocol, token).registry.addTaskServer(route(9)).catch((e: unknown) => e));
          assert.equal(err.code, Code.Unauthenticated, `token ${token}`);
        }
        assert.deepEqual(await rowCounts(node), before);
        for (const token of [TOKEN, OTHER_TOKEN]) {
          await clients(node.port, protocol, token).registry.addTaskServer(route(9, `w-${protocol}`));
        }
        const listed = await clients(node.port, protocol, OTHER_TOKEN).registry.listTaskServers({});
        assert.ok(listed.taskServers.some((s) => s.name === `w-${protocol}`));
      });
    }

    test("a documented path without the right token gets 401 and an envelope error, and changes nothing", async () => {
      const before = await rowCounts(node);
      for (const headers of [{} as Record<string, string>, { authorization: "Bearer tok-wrong-0123456789" }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
        const res = await postDocumented(node.port, "/add_task_server", route(10, "legacy"), headers);
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.headers.get("www-authenticate"), "Bearer");
        assert.equal(res.json.code, 401);
        assert.equal(res.json.data, null);
        assert.match(res.json.msg, /Authorization: Bearer/);
      }
      assert.deepEqual(await rowCounts(node), before);
      const ok = await postDocumented(node.port, "/add_task_server", route(10, "legacy"), { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.code, 0, ok.json.msg);
    });

    test("health endpoints stay open unless protected", async () => {
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/readyz`)).status, 200);
    });
  });
}

describe("protected health endpoints", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode("sqlite", { auth: { tokens: [TOKEN], protectHealth: true, protectMetrics: false } });
  });
  after(() => node.stop());

  test("need the token too", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      assert.equal((await fetch(`http://127.0.0.1:${node.port}${path}`)).status, 401, path);
      const res = await fetch(`http://127.0.0.1:${node.port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200, path);
    }
  });
});

for (const dialect of DIALECTS) {
  describe(`callback target policy on ${dialect}`, () => {
    let node: TestNode;
    const worker = new FakeTaskServer();

    before(async () => {
      await worker.start();
      node = await startTestNode(dialect, { callback: { allowedHosts: ["127.0.0.1", "*.tasks.internal", "10.0.0.0/8"] } });
    });
    after(async () => {
      await node.stop();
      await worker.stop();
    });

    test("a route outside callback.allowed_hosts is refused at registration and nothing is stored", async () => {
      const api = clients(node.port);
      const before = await rowCounts(node);
      for (const host of ["169.254.169.254", "[::1]", "[::ffff:169.254.169.254]", "localhost", "tasks.internal", "a.tasks.internal.evil.com", "11.0.0.1"]) {
        const err = refusal(await api.registry.addTaskServer(route(80, "outside", host)).catch((e: unknown) => e));
        assert.equal(err.code, Code.InvalidArgument, host);
        assert.equal(err.findDetails(ErrorDetailSchema)[0]?.field, "host");
        assert.match(err.rawMessage, /callback\.allowed_hosts/);
        const legacy = await postDocumented(node.port, "/add_task_server", route(80, "outside", host));
        assert.equal(legacy.json.code, 10001, host);
      }
      assert.deepEqual(await rowCounts(node), before);
      for (const host of ["127.0.0.1", "a.tasks.internal", "10.1.2.3", "[::ffff:10.9.9.9]"]) {
        await api.registry.addTaskServer(route(80, "inside", host));
      }
      const inside = (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "inside");
      assert.equal(inside?.routes.length, 4);
    });

    test("a route stored before the list was narrowed is not called; the run records why", async () => {
      const api = clients(node.port);
      // Written straight to the store, as a registration made under an older config.
      await upsertRoute(node.store, { ...route(worker.port, "legacy-route", "localhost"), callbackTimeoutSec: 5, isEnableHealthCheck: false }, Date.now(), 10);
      const { taskId } = await api.tasks.addTask({ name: "blocked", srvName: "legacy-route", callbackPath: "/run", schedMode: SchedMode.AT, timeSpecAt: 1n });
      const [run] = (await waitFor("the refused run", () => api.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs.some((l) => l.state === RunState.FAILED))).taskLogs;
      assert.match(run!.error, /not allowed by callback\.allowed_hosts/);
      assert.equal(worker.tasks("/run").length, 0);
    });
  });

  describe(`route limit on ${dialect}`, () => {
    let node: TestNode;
    before(async () => {
      node = await startTestNode(dialect);
    });
    after(() => node.stop());

    test(`a task server holds at most ${MAX_ROUTES_PER_TASK_SERVER} routes; re-registering one of them still works`, async () => {
      const api = clients(node.port);
      for (let port = 1; port <= MAX_ROUTES_PER_TASK_SERVER; port++) await api.registry.addTaskServer(route(port, "many"));
      const err = refusal(await api.registry.addTaskServer(route(MAX_ROUTES_PER_TASK_SERVER + 1, "many")).catch((e: unknown) => e));
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.rawMessage, /already has 256 routes/);
      await api.registry.addTaskServer({ ...route(1, "many"), callbackTimeoutSec: 7 });
      const many = (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "many");
      assert.equal(many?.routes.length, MAX_ROUTES_PER_TASK_SERVER);
      assert.equal(many?.routes.find((r) => r.port === 1)?.callbackTimeoutSec, 7);
    });
  });
}
