import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import {
  createEasytaskClient,
  RunState,
  SchedMode,
  SignatureError,
  TaskServer,
  verifySignature,
  type EasytaskClient,
  type TaskCallbackRequest,
} from "../../clients/ts/src/index.js";
import { waitFor } from "../support/waitFor.js";
import { startEasytask, type Easytask } from "./support.js";

const SECRET = "ts-task-server-secret-0001";
const OTHER = "some-other-secret-00000001";
const nowSec = () => Math.floor(Date.now() / 1000);
const sign = (secret: string, timestamp: number | string, body: string) =>
  `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

describe("TypeScript task server with a secret", () => {
  let easytask: Easytask;
  let client: EasytaskClient;
  let server: TaskServer;
  const ran: TaskCallbackRequest[] = [];

  const oneShot = async (name: string) =>
    (await client.tasks.addTask({ name, srvName: "ts-signed", callbackPath: `/${name}`, schedMode: SchedMode.AT, timeSpecAt: BigInt(nowSec()) })).taskId;
  const lastRun = async (taskId: bigint, state: RunState) =>
    (await waitFor(`run of task ${taskId}`, () => client.tasks.listTaskLogs({ taskId }), (r) => r.taskLogs[0]?.state === state)).taskLogs[0];

  before(async () => {
    easytask = await startEasytask();
    client = createEasytaskClient({ baseUrl: easytask.url });
    server = new TaskServer({
      client,
      name: "ts-signed",
      secret: SECRET,
      handler: (task) => {
        ran.push(task);
        return { isSuccess: true, extra: `ran ${task.taskName}` };
      },
    });
    await server.start();
  });
  after(async () => {
    await server.stop();
    await easytask.stop();
  });

  test("registers its secret, and accepts the scheduler's signed heartbeats and callbacks", async () => {
    const listed = async () => (await client.registry.listTaskServers({})).taskServers.find((s) => s.name === "ts-signed");
    assert.equal((await listed())?.signed, true);
    const route = await waitFor("a heartbeat", async () => (await listed())?.routes[0], (r) => r?.lastHeartbeatAt !== undefined);
    assert.equal(route?.failedHealthChecks, 0);
    const taskId = await oneShot("signed");
    const run = await lastRun(taskId, RunState.SUCCEEDED);
    assert.equal(run.extra, "ran signed");
    assert.deepEqual(ran.map((t) => t.taskId), [taskId]);
  });

  test("forged, wrongly signed, stale and unsigned requests get 401 and do not run the handler", async () => {
    const body = JSON.stringify({ cmd: 1, task_id: "424242", task_name: "forged", arg: "", run_times: 1, biz_id: "" });
    const post = async (headers: Record<string, string>) => {
      const res = await fetch(`http://127.0.0.1:${server.port}/forged`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
      return { status: res.status, error: ((await res.json()) as { error?: string }).error ?? "" };
    };
    const signed = (secret: string, timestamp: number) => ({ "x-easytask-timestamp": String(timestamp), "x-easytask-signature": sign(secret, timestamp, body) });
    const refused: [string, Record<string, string>, RegExp][] = [
      ["no headers", {}, /not signed: x-easytask-timestamp is missing/],
      ["no signature", { "x-easytask-timestamp": String(nowSec()) }, /not signed: x-easytask-signature is missing/],
      ["a forged signature", { ...signed(SECRET, nowSec()), "x-easytask-signature": `v1=${"0".repeat(64)}` }, /does not match/],
      ["a malformed signature", { ...signed(SECRET, nowSec()), "x-easytask-signature": "sha256=abc" }, /not "v1=" and 64 hex digits/],
      ["a malformed timestamp", { ...signed(SECRET, nowSec()), "x-easytask-timestamp": "yesterday" }, /not unix seconds/],
      ["another secret", signed(OTHER, nowSec()), /does not match/],
      ["a stale timestamp", signed(SECRET, nowSec() - 3600), /more than the tolerance of 300 s/],
      ["a timestamp in the future", signed(SECRET, nowSec() + 3600), /more than the tolerance of 300 s/],
      ["a body altered after signing", { ...signed(SECRET, nowSec()), "x-easytask-signature": sign(SECRET, nowSec(), body.replace("forged", "forgex")) }, /does not match/],
    ];
    for (const [what, headers, reason] of refused) {
      const answer = await post(headers);
      assert.equal(answer.status, 401, what);
      assert.match(answer.error, reason, what);
    }
    assert.ok(!ran.some((t) => t.taskName === "forged"), "the handler ran for a refused request");
    // The same request, signed right, runs: the refusals were the signature's.
    assert.equal((await post(signed(SECRET, nowSec()))).status, 200);
    assert.equal(ran.filter((t) => t.taskName === "forged").length, 1);
  });

  test("the scheduler's callbacks signed with another secret, or unsigned, get 401 and do not run the handler", async () => {
    const route = { name: "ts-signed", schema: "http", host: "127.0.0.1", port: server.port, isEnableHealthCheck: false };
    for (const [secret, reason] of [
      [OTHER, /does not match/],
      ["", /not signed/],
    ] as const) {
      await client.registry.addTaskServer({ ...route, secret });
      const taskId = await oneShot(`secret-${secret.length}`);
      const run = await lastRun(taskId, RunState.FAILED);
      assert.equal(run.httpStatus, 401);
      assert.match(run.response, reason);
      assert.ok(!ran.some((t) => t.taskId === taskId), "the handler ran for a refused callback");
    }
  });

  test("verifySignature works on its own, with a tolerance of choice", () => {
    // The vector of test/unit/signCallback.test.ts (from openssl): a non-ASCII body checked as its UTF-8 bytes.
    const vector = { "x-easytask-timestamp": "1700000000", "x-easytask-signature": "v1=c38d81efedf3dc62d620f156d1a1e268acf24d3ae83455385897016df3c22954" };
    const vectorBody = '{"cmd":1,"task_id":"7","task_name":"ünïcode ✓","arg":"","run_times":1,"biz_id":""}';
    verifySignature("test-secret-0123456789", vector, Buffer.from(vectorBody), { now: 1_700_000_000_000 });
    verifySignature("test-secret-0123456789", vector, vectorBody, { now: 1_700_000_000_000 });
    const body = '{"cmd":0}';
    const at = 1_700_000_000;
    const headers = new Headers({ "x-easytask-timestamp": String(at), "x-easytask-signature": sign(SECRET, at, body) });
    verifySignature(SECRET, headers, Buffer.from(body), { now: (at + 60) * 1000 });
    verifySignature(SECRET, { "X-Easytask-Timestamp": String(at), "X-Easytask-Signature": sign(SECRET, at, body) }, body, { now: at * 1000 });
    assert.throws(() => verifySignature(SECRET, headers, body, { now: (at + 60) * 1000, toleranceSec: 30 }), SignatureError);
    assert.throws(() => verifySignature(OTHER, headers, body, { now: at * 1000 }), /does not match/);
    assert.throws(() => verifySignature(SECRET, { "x-easytask-timestamp": [String(at), String(at)], "x-easytask-signature": sign(SECRET, at, body) }, body), /more than one/);
    assert.throws(() => new TaskServer({ client, name: "x", secret: "", handler: () => ({}) }), /secret is empty/);
  });
});
