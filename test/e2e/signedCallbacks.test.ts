import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/easytask/v1/errors_pb.js";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { freePort } from "../harness/ports.js";
import { readmeExample } from "../sdk/support.js";
import { createLogger } from "../../src/log/log.js";
import { clients, postDocumented, type Clients } from "../support/api.js";
import { DIALECTS, startTestNode, stopSharedMariaDb, type TestNode } from "../support/node.js";
import { FakeTaskServer, type Received } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

const FIRST = "first-secret-0123456789";
const SECOND = "second-secret-ABCDEFGHIJ";
const nowSec = () => Math.floor(Date.now() / 1000);

// Which of the secrets signed the request, computed here the way a task
// server would check it: over the exact bytes received.
function signedWith(r: Received, secrets: string[]): string {
  const timestamp = r.headers["x-easytask-timestamp"];
  const signature = r.headers["x-easytask-signature"];
  if (timestamp === undefined && signature === undefined) return "unsigned";
  assert.match(String(timestamp), /^\d+$/);
  assert.match(String(signature), /^v1=[0-9a-f]{64}$/);
  const mac = (secret: string) => createHmac("sha256", secret).update(Buffer.concat([Buffer.from(`${timestamp}.`), r.bytes])).digest("hex");
  return secrets.find((s) => signature === `v1=${mac(s)}`) ?? "forged";
}

for (const dialect of DIALECTS) {
  describe(`signed callbacks on ${dialect}`, () => {
    let node: TestNode;
    let api: Clients;
    const logLines: string[] = [];
    // One task server process per test: heartbeats all go to "/", so they
    // can be told apart only by where they arrive.
    const workers: FakeTaskServer[] = [];
    const newWorker = async () => {
      const worker = await new FakeTaskServer().start();
      workers.push(worker);
      return worker;
    };
    const route = (name: string, worker: FakeTaskServer, more: object = {}) => ({ name, schema: "http", host: "127.0.0.1", port: worker.port, isEnableHealthCheck: true, ...more });
    const signedOf = async (name: string) => (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === name)?.signed;

    // A callback now, of an hourly task of the task server's own, fired
    // with TriggerTask.
    async function callbackTo(worker: FakeTaskServer, srvName: string): Promise<Received> {
      const path = `/${srvName}`;
      const existing = (await api.tasks.listTasks({ srvName })).tasks[0]?.taskId;
      const taskId = existing ?? (await api.tasks.addTask({ name: srvName, srvName, callbackPath: path, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId;
      const { runTimes } = await api.tasks.triggerTask({ taskId });
      return (await waitFor(`run ${runTimes} of ${srvName}`, () => worker.tasks(path).find((r) => r.body.run_times === runTimes), Boolean))!;
    }
    // The second heartbeat to arrive from now on: its round began after
    // the first was answered, so after any change made before this call.
    async function nextHeartbeat(worker: FakeTaskServer): Promise<Received> {
      const seen = worker.heartbeats().length;
      return (await waitFor("two more heartbeats", () => worker.heartbeats(), (h) => h.length >= seen + 2))[seen + 1];
    }

    before(async () => {
      node = await startTestNode(dialect, {}, { log: createLogger("debug", { write: (line) => logLines.push(line) }) });
      api = clients(node.port);
    });
    after(async () => {
      await node.stop();
      for (const worker of workers) await worker.stop();
    });

    test("a task server with a secret gets heartbeats and callbacks signed over the exact body", async () => {
      const worker = await newWorker();
      const startedAt = nowSec();
      await api.registry.addTaskServer(route("signed", worker, { secret: FIRST }));
      const heartbeat = await nextHeartbeat(worker);
      assert.equal(signedWith(heartbeat, [FIRST]), FIRST);
      const callback = await callbackTo(worker, "signed");
      assert.equal(signedWith(callback, [FIRST]), FIRST);
      for (const r of [heartbeat, callback]) {
        const timestamp = Number(r.headers["x-easytask-timestamp"]);
        assert.ok(timestamp >= startedAt && timestamp <= nowSec(), `timestamp ${timestamp} is when it was sent, in unix seconds`);
      }
      // Signed over what went on the wire: the callback body as the task
      // server decodes it.
      assert.equal(callback.body.task_name, "signed");
      assert.equal(await signedOf("signed"), true);
    });

    test("a task server without a secret gets unsigned requests", async () => {
      const worker = await newWorker();
      await api.registry.addTaskServer(route("plain", worker));
      assert.equal(signedWith(await nextHeartbeat(worker), []), "unsigned");
      assert.equal(signedWith(await callbackTo(worker, "plain"), []), "unsigned");
      assert.equal(await signedOf("plain"), false);
    });

    test("a secret is rotated by setting it, kept when omitted, removed with an empty string", async () => {
      const worker = await newWorker();
      await api.registry.addTaskServer(route("rotating", worker, { secret: FIRST }));
      assert.equal(signedWith(await callbackTo(worker, "rotating"), [FIRST, SECOND]), FIRST);

      // Registering the route again, or another route, without a secret
      // keeps the task server's.
      await api.registry.addTaskServer(route("rotating", worker, { callbackTimeoutSec: 7 }));
      assert.equal(signedWith(await callbackTo(worker, "rotating"), [FIRST, SECOND]), FIRST);
      assert.equal(signedWith(await nextHeartbeat(worker), [FIRST, SECOND]), FIRST);

      // Through the documented path, the same field in its JSON.
      const rotated = await postDocumented(node.port, "/add_task_server", {
        name: "rotating",
        schema: "http",
        host: "127.0.0.1",
        port: worker.port,
        is_enable_health_check: true,
        secret: SECOND,
      });
      assert.equal(rotated.json.code, 0, rotated.json.msg);
      assert.equal(signedWith(await callbackTo(worker, "rotating"), [FIRST, SECOND]), SECOND);
      assert.equal(signedWith(await nextHeartbeat(worker), [FIRST, SECOND]), SECOND);
      assert.equal(await signedOf("rotating"), true);

      await api.registry.addTaskServer(route("rotating", worker, { secret: "" }));
      assert.equal(signedWith(await callbackTo(worker, "rotating"), [FIRST, SECOND]), "unsigned");
      assert.equal(signedWith(await nextHeartbeat(worker), [FIRST, SECOND]), "unsigned");
      assert.equal(await signedOf("rotating"), false);
    });

    test("a bad secret is refused naming the field and changes nothing", async () => {
      const worker = await newWorker();
      await api.registry.addTaskServer(route("guarded", worker, { secret: FIRST, isEnableHealthCheck: false }));
      const bad = ["x".repeat(15), "x".repeat(257), "sixteen chars ok but spaced", "ünïcødé-sëcrét-0123", "tab\tinside-secret-0123"];
      for (const secret of bad) {
        const err = await api.registry.addTaskServer(route("guarded", worker, { secret, callbackTimeoutSec: 9 })).catch((e: unknown) => e);
        assert.ok(err instanceof ConnectError, `${JSON.stringify(secret)} was accepted`);
        assert.equal(err.code, Code.InvalidArgument);
        assert.equal(err.findDetails(ErrorDetailSchema)[0]?.field, "secret");
        assert.match(err.rawMessage, /secret must be 16 to 256 visible ASCII characters/);
        assert.ok(!err.rawMessage.includes(secret), "the message does not quote the secret");
        const documented = await postDocumented(node.port, "/add_task_server", { name: "guarded-new", schema: "http", host: "127.0.0.1", port: worker.port, secret });
        assert.equal(documented.json.code, 10001);
        assert.match(documented.json.msg, /^secret must be/);
      }
      const servers = (await api.registry.listTaskServers({})).taskServers;
      assert.equal(servers.find((s) => s.name === "guarded-new"), undefined);
      const guarded = servers.find((s) => s.name === "guarded");
      assert.equal(guarded?.routes[0].callbackTimeoutSec, 30, "the route kept its settings");
      assert.equal(signedWith(await callbackTo(worker, "guarded"), [FIRST]), FIRST);
    });

    test("the secret is never returned by any answer nor written to the log", async () => {
      const worker = await newWorker();
      await api.registry.addTaskServer(route("quiet", worker, { secret: SECOND }));
      const documented = await postDocumented(node.port, "/add_task_server", {
        name: "quiet",
        schema: "http",
        host: "127.0.0.1",
        port: worker.port,
        is_enable_health_check: true,
        secret: SECOND,
      });
      const listed = await fetch(`http://127.0.0.1:${node.port}/easytask.v1.RegistryService/ListTaskServers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const listing = await listed.text();
      const quiet = (JSON.parse(listing) as { task_servers: { name: string; signed?: boolean }[] }).task_servers.find((s) => s.name === "quiet");
      assert.equal(quiet?.signed, true);
      await nextHeartbeat(worker);
      for (const [where, text] of [
        ["the documented answer", JSON.stringify(documented.json)],
        ["ListTaskServers", listing],
        ["the log", logLines.join("")],
      ]) {
        assert.ok(!text.includes(SECOND) && !text.includes(FIRST), `${where} holds a secret`);
      }
      assert.ok(logLines.length > 0, "the node did log");
    });
  });
}

describe("the README's check for a task server without an SDK", () => {
  test("accepts the scheduler's signed heartbeats and callbacks, and refuses unsigned or wrongly signed ones", async () => {
    const node = await startTestNode("sqlite");
    const dir = mkdtempSync(join(tmpdir(), "easytask-snippet-"));
    writeFileSync(join(dir, "server.mjs"), readmeExample("README.md", "js"));
    const port = await freePort();
    const proc = spawn(process.execPath, [join(dir, "server.mjs")], { env: { ...process.env, EASYTASK_SECRET: FIRST, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
    try {
      const exited = once(proc, "exit").then(([code]) => Promise.reject(new Error(`the README's task server exited with ${code}`)));
      exited.catch(() => {}); // after the race, the kill below ends it
      await Promise.race([once(proc.stdout!, "data"), exited]);
      const api = clients(node.port);
      const route = { name: "snippet", schema: "http", host: "127.0.0.1", port };
      await api.registry.addTaskServer({ ...route, isEnableHealthCheck: true, secret: FIRST });
      const listed = async () => (await api.registry.listTaskServers({})).taskServers.find((s) => s.name === "snippet")?.routes[0];
      assert.equal((await waitFor("a heartbeat", listed, (r) => r?.lastHeartbeatAt !== undefined))?.failedHealthChecks, 0);
      const run = async (name: string, state: RunState) => {
        const { taskId } = await api.tasks.addTask({ name, srvName: "snippet", callbackPath: "/run", schedMode: SchedMode.AT, timeSpecAt: BigInt(nowSec()) });
        return (await waitFor(`run of ${name}`, () => api.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs[0]?.state === state)).taskLogs[0];
      };
      assert.equal((await run("signed", RunState.SUCCEEDED)).extra, "ran signed");
      assert.equal((await fetch(`http://127.0.0.1:${port}/run`, { method: "POST", body: '{"task_id":"1"}' })).status, 401);
      await api.registry.addTaskServer({ ...route, secret: SECOND });
      assert.equal((await run("wrongly-signed", RunState.FAILED)).httpStatus, 401);
    } finally {
      proc.kill();
      rmSync(dir, { recursive: true, force: true });
      await node.stop();
    }
  });
});
