import assert from "node:assert/strict";
import { ConnectError, createClient, type Client, type Code, type Interceptor, type Transport } from "@connectrpc/connect";
import { ErrorDetailSchema, type ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";

export interface EnvelopeAnswer {
  status: number;
  headers: Headers;
  json: { code: number; msg: string; data: unknown; hint: string };
}

// POSTs to a documented path as the original's clients do.
export async function postDocumented(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<EnvelopeAnswer> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}

export type Protocol = "connect-json" | "connect-binary" | "grpc" | "grpc-web";
export const PROTOCOLS: Protocol[] = ["connect-json", "connect-binary", "grpc", "grpc-web"];

// Sends `Authorization: Bearer <token>` on every call when a token is given.
const bearer = (token: string | undefined): Interceptor[] =>
  token === undefined
    ? []
    : [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ];

export function transport(port: number, protocol: Protocol, token?: string): Transport {
  const baseUrl = `http://127.0.0.1:${port}`;
  const interceptors = bearer(token);
  switch (protocol) {
    case "connect-json":
      return createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, jsonOptions: { ignoreUnknownFields: true }, interceptors });
    case "connect-binary":
      return createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors });
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors });
  }
}

export interface Clients {
  tasks: Client<typeof TaskService>;
  registry: Client<typeof RegistryService>;
  cluster: Client<typeof ClusterService>;
}

export function clients(port: number, protocol: Protocol = "connect-json", token?: string): Clients {
  const t = transport(port, protocol, token);
  return { tasks: createClient(TaskService, t), registry: createClient(RegistryService, t), cluster: createClient(ClusterService, t) };
}

// GET /readyz: its status and JSON body.
export interface ReadyzBody {
  ready: boolean;
  reason: string;
  node_id: string;
  leading: boolean;
  leadership_known: boolean;
  leadership_reason: string;
}

export async function readyz(port: number): Promise<{ status: number; body: ReadyzBody }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.json() };
}

// How a call that must fail failed: its code, and the reason and field of
// its ErrorDetail.
export async function refusal(call: Promise<unknown>): Promise<{ code: Code; reason?: ErrorReason; field: string; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = ConnectError.from(err);
    const detail = e.findDetails(ErrorDetailSchema)[0];
    return { code: e.code, reason: detail?.reason, field: detail?.field ?? "", message: e.rawMessage };
  }
  assert.fail("the call was accepted");
}
