import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { createLogger } from "../../src/log/log.js";
import { makeCa, type Issued, type TestCa } from "../support/certificates.js";
import { clients, postDocumented } from "../support/api.js";
import { startTestNode, type TestNode } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

let ca: TestCa;
before(() => {
  ca = makeCa();
});
after(() => ca.remove());

// A TLS handshake with the node: the certificate it presents and the
// protocol ALPN settled on.
function handshake(port: number, alpn: string[]): Promise<{ fingerprint: string; protocol: string | false }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: ca.ca, ALPNProtocols: alpn }, () => {
      resolve({ fingerprint: socket.getPeerX509Certificate()!.fingerprint256, protocol: socket.alpnProtocol ?? false });
      socket.end();
    });
    socket.once("error", reject);
  });
}

// POST over HTTP/1.1 and TLS, verifying the node against the test's CA.
function postHttps(port: number, path: string, body: unknown): Promise<{ status: number; json: { code: number; msg: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, method: "POST", ca: ca.ca, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.once("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("api_server.tls: the API over TLS", () => {
  let node: TestNode;
  let served: Issued;
  const lines: Record<string, unknown>[] = [];

  before(async () => {
    served = ca.issue("node");
    const log = createLogger("info", { write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    node = await startTestNode("sqlite", { http: { host: "127.0.0.1", port: 0, tls: { certFile: served.certFile, keyFile: served.keyFile } } }, { log });
  });
  after(() => node.stop());

  test("ALPN offers HTTP/2 and HTTP/1.1 on the one port", async () => {
    assert.deepEqual(await handshake(node.port, ["h2", "http/1.1"]), { fingerprint: served.fingerprint, protocol: "h2" });
    assert.equal((await handshake(node.port, ["http/1.1"])).protocol, "http/1.1");
    await assert.rejects(fetch(`http://127.0.0.1:${node.port}/healthz`), "no cleartext on a TLS port");
  });

  const baseUrl = () => `https://127.0.0.1:${node.port}`;
  const transports: Record<string, () => Transport> = {
    "Connect JSON over HTTP/1.1": () => createConnectTransport({ baseUrl: baseUrl(), httpVersion: "1.1", nodeOptions: { ca: ca.ca } }),
    "Connect binary over HTTP/2": () => createConnectTransport({ baseUrl: baseUrl(), httpVersion: "2", useBinaryFormat: true, nodeOptions: { ca: ca.ca } }),
    "gRPC over HTTP/2": () => createGrpcTransport({ baseUrl: baseUrl(), nodeOptions: { ca: ca.ca } }),
    "gRPC-Web over HTTP/1.1": () => createGrpcWebTransport({ baseUrl: baseUrl(), httpVersion: "1.1", nodeOptions: { ca: ca.ca } }),
  };
  for (const [name, transport] of Object.entries(transports)) {
    test(`${name} works`, async () => {
      const registry = createClient(RegistryService, transport());
      await registry.addTaskServer({ name: name.replace(/\W+/g, "-"), schema: "http", host: "127.0.0.1", port: 9 });
      assert.ok((await registry.listTaskServers({})).taskServers.some((s) => s.name === name.replace(/\W+/g, "-")));
    });
  }

  test("the documented paths and /readyz work over HTTPS", async () => {
    const res = await postHttps(node.port, "/add_task_server", { name: "legacy", schema: "http", host: "127.0.0.1", port: 9 });
    assert.deepEqual([res.status, res.json.code], [200, 0], res.json.msg);
    const ready = await new Promise<number>((resolve, reject) =>
      httpsRequest({ host: "127.0.0.1", port: node.port, path: "/readyz", ca: ca.ca }, (r) => resolve(r.statusCode!))
        .once("error", reject)
        .end(),
    );
    assert.equal(ready, 200);
  });

  test("a renewed certificate is served without a restart; a pair that does not match is refused and the old one kept", async () => {
    const renewed = ca.issue("node-renewed");
    copyFileSync(renewed.keyFile, served.keyFile);
    copyFileSync(renewed.certFile, served.certFile);
    await waitFor("the renewed certificate", () => handshake(node.port, ["h2"]), (h) => h.fingerprint === renewed.fingerprint);
    assert.ok(lines.some((l) => l.msg === "TLS certificate reloaded"));

    const refusals = () => lines.filter((l) => l.msg === "TLS certificate not reloaded; serving the previous one").length;
    const before = refusals();
    const other = ca.issue("node-other");
    copyFileSync(other.certFile, served.certFile);
    await waitFor("the refusal", refusals, (n) => n > before);
    assert.equal((await handshake(node.port, ["h2"])).fingerprint, renewed.fingerprint);
  });
});

describe("callback.ca_file: https task servers signed by a private CA", () => {
  const worker = new FakeTaskServer();
  let trusting: TestNode;
  let plain: TestNode;

  before(async () => {
    const cert = ca.issue("worker");
    await worker.start(0, { tls: cert });
    trusting = await startTestNode("sqlite", { callback: { allowedHosts: [], caFile: ca.caFile } });
    plain = await startTestNode("sqlite");
  });
  after(async () => {
    await trusting.stop();
    await plain.stop();
    await worker.stop();
  });

  // Registers the worker over https with heartbeats, fires a one-shot task
  // at it, and returns the run and the route as the node recorded them.
  async function callOnce(node: TestNode, path: string) {
    const registered = await postDocumented(node.port, "/add_task_server", { name: "w", schema: "https", host: "127.0.0.1", port: worker.port, is_enable_health_check: true });
    assert.equal(registered.json.code, 0, registered.json.msg);
    const added = await postDocumented(node.port, "/add_task", { name: path, srv_name: "w", callback_path: path, sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) });
    assert.equal(added.json.code, 0, added.json.msg);
    const taskId = BigInt((added.json.data as { task_id: string }).task_id);
    const api = clients(node.port);
    const [run] = await waitFor("the run to end", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length > 0 && l[0]!.state !== RunState.RUNNING);
    const route = await waitFor("a heartbeat", async () => (await api.registry.listTaskServers({})).taskServers[0]!.routes[0]!, (r) => r.lastHeartbeatAt !== undefined || r.failedHealthChecks > 0);
    return { run: run!, route };
  }

  test("with the CA, callbacks and heartbeats verify the task server's certificate", async () => {
    const { run, route } = await callOnce(trusting, "/trusted");
    assert.equal(run.state, RunState.SUCCEEDED, run.error);
    assert.equal(worker.tasks("/trusted").length, 1);
    assert.equal(route.failedHealthChecks, 0);
    assert.ok(worker.heartbeats().length > 0);
  });

  test("without it, the task server is refused: the run fails naming the certificate, heartbeats fail", async () => {
    const { run, route } = await callOnce(plain, "/untrusted");
    assert.equal(run.state, RunState.FAILED);
    assert.match(run.error, /certificate/);
    assert.equal(worker.tasks("/untrusted").length, 0, "nothing was sent to a server that could not be verified");
    assert.ok(route.failedHealthChecks > 0);
  });

  test("an unreadable ca_file stops the start with its name", async () => {
    await assert.rejects(startTestNode("sqlite", { callback: { allowedHosts: [], caFile: "/nonexistent/ca.pem" } }), /callback\.ca_file: cannot use "\/nonexistent\/ca\.pem"/);
  });
});
