import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { startTestNode, type TestNode } from "../support/node.js";
import { envelope, grpcStatus, http1Client, http2Client, type Exchange, type Sent, type WireClient } from "../support/wire.js";

// Whatever the server refuses early, the next request on the same
// connection gets its answer; and no surface reads or parses a body before
// the token is checked. One node (the database plays no part here), with
// a small body limit.

const LIMIT = 64 * 1024;
const TOKEN = "tok-connections-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Surface {
  name: string;
  path: string;
  contentType: string;
  frame(json: string): Buffer;
  // "ok" or the refusal's code word (documented paths: the envelope code).
  outcome(ex: Exchange): string;
  valid: Sent;
  validOutcome: string;
}

const grpcOutcome = (ex: Exchange) => {
  const status = grpcStatus(ex);
  if (status === undefined) return `http ${ex.status}`;
  return status === "0" ? "ok" : codeToString(Number(status));
};

const rpc = (name: string, contentType: string, frame: (json: string) => Buffer, outcome: (ex: Exchange) => string): Surface => ({
  name,
  path: "/easytask.v1.TaskService/AddTask",
  contentType,
  frame,
  outcome,
  valid: { path: "/easytask.v1.ClusterService/GetCluster", headers: { "content-type": contentType, ...AUTH }, body: frame("{}") },
  validOutcome: "ok",
});

const SURFACES: Surface[] = [
  rpc("Connect", "application/json", Buffer.from, (ex) => {
    if (ex.status === 200) return "ok";
    try {
      return (JSON.parse(ex.body.toString()) as { code: string }).code;
    } catch {
      return `http ${ex.status}`;
    }
  }),
  rpc("gRPC", "application/grpc+json", (json) => envelope(json), grpcOutcome),
  rpc("gRPC-Web", "application/grpc-web+json", (json) => envelope(json), grpcOutcome),
  {
    name: "documented paths",
    path: "/add_task",
    contentType: "application/json",
    frame: Buffer.from,
    outcome: (ex) => String((JSON.parse(ex.body.toString()) as { code: number }).code),
    valid: { path: "/stop_task", headers: { "content-type": "application/json", ...AUTH }, body: '{"task_id":"999"}' },
    validOutcome: "10002",
  },
];

const task = JSON.stringify({ name: "t", srv_name: "nobody", sched_mode: 3, time_interval_sec: 60 });
const oversized = (n: number) => JSON.stringify({ name: "x".repeat(n) });
// Too large, and not JSON either: a server that parsed it or measured it
// before checking the token would say so.
const oversizedMalformed = `{"name":"${"x".repeat(2 * LIMIT)}`;

interface Refusal {
  name: string;
  sent(s: Surface): Sent | undefined;
  expected(s: Surface): string;
}

const documented = (s: Surface) => s.name === "documented paths";

const REFUSALS: Refusal[] = [
  {
    name: "a body over max_body_bytes",
    sent: (s) => ({ path: s.path, headers: { "content-type": s.contentType, ...AUTH }, body: s.frame(oversized(2 * LIMIT)) }),
    expected: (s) => (documented(s) ? "10001" : "resource_exhausted"),
  },
  {
    name: "no token, the body held back until the answer",
    sent: (s) => ({ path: s.path, headers: { "content-type": s.contentType }, body: s.frame(task), holdBodyUntilAnswered: true }),
    expected: (s) => (documented(s) ? "401" : "unauthenticated"),
  },
  {
    name: "no token, an oversized malformed body",
    sent: (s) => ({ path: s.path, headers: { "content-type": s.contentType }, body: s.frame(oversizedMalformed) }),
    expected: (s) => (documented(s) ? "401" : "unauthenticated"),
  },
  {
    name: "no token, an unknown enum name",
    sent: (s) => ({ path: s.path, headers: { "content-type": s.contentType }, body: s.frame(JSON.stringify({ name: "t", route_strategy: "ROUND_ROBBIN" })) }),
    expected: (s) => (documented(s) ? "401" : "unauthenticated"),
  },
  {
    name: "a wrong content type",
    sent: (s) => (documented(s) ? undefined : { path: s.path, headers: { "content-type": "text/xml", ...AUTH }, body: s.frame(task) }),
    expected: () => "http 415",
  },
];

const TRANSPORTS: [string, (port: number) => WireClient][] = [
  ["HTTP/1.1", http1Client],
  ["h2c", http2Client],
];

describe("connections after a refused request", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode("sqlite", { maxBodyBytes: LIMIT, auth: { tokens: [TOKEN], protectHealth: false, protectMetrics: false } });
  });
  after(() => node.stop());

  for (const [transport, open] of TRANSPORTS) {
    for (const surface of SURFACES) {
      for (const refusal of REFUSALS) {
        if (!refusal.sent(surface)) continue;
        test(`${transport}, ${surface.name}: ${refusal.name}; the next request on the connection is answered`, async () => {
          const client = open(node.port);
          try {
            const refused = await client.send(refusal.sent(surface)!);
            assert.equal(surface.outcome(refused), refusal.expected(surface));
            const next = await client.send(surface.valid);
            assert.equal(surface.outcome(next), surface.validOutcome);
            assert.equal(next.connection, refused.connection, "the same connection carried both");
          } finally {
            client.close();
          }
        });
      }
    }

    test(`${transport}: a body sent to an unknown path`, async () => {
      const client = open(node.port);
      try {
        const refused = await client.send({ path: "/nowhere", headers: { "content-type": "application/json" }, body: oversized(2 * LIMIT) });
        assert.equal(refused.status, 404);
        const next = await client.send(SURFACES[0]!.valid);
        assert.equal(next.status, 200);
        assert.equal(next.connection, refused.connection);
      } finally {
        client.close();
      }
    });
  }

  test("HTTP/1.1: a body declared far over the limit is answered with Connection: close, and the client's next request goes on a new connection", async () => {
    const client = http1Client(node.port);
    try {
      const body = oversized(8 * LIMIT);
      const refused = await client.send({ path: "/easytask.v1.TaskService/AddTask", headers: { "content-type": "application/json", ...AUTH }, body, holdBodyUntilAnswered: true });
      assert.equal(refused.status, 429);
      assert.equal(refused.headers.connection, "close");
      const next = await client.send(SURFACES[0]!.valid);
      assert.equal(next.status, 200);
      assert.notEqual(next.connection, refused.connection);
    } finally {
      client.close();
    }
  });

  test("h2c: other streams of the session carry on while a refused one is reset", async () => {
    const client = http2Client(node.port);
    try {
      const [refused, ...others] = await Promise.all([
        client.send({ path: "/easytask.v1.TaskService/AddTask", headers: { "content-type": "application/json", ...AUTH }, body: oversized(8 * LIMIT) }),
        ...Array.from({ length: 5 }, () => client.send(SURFACES[0]!.valid)),
      ]);
      assert.equal(refused!.status, 429);
      assert.deepEqual(
        others.map((o) => o.status),
        [200, 200, 200, 200, 200],
      );
      assert.equal(client.session.closed, false);
    } finally {
      client.close();
    }
  });
});
