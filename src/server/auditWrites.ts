import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import type { AuditLog } from "../audit/auditLog.js";
import { describeCall } from "../audit/describeCall.js";
import { TRACE_ID } from "../callback/traceId.js";
import { rpcName } from "./apiMetrics.js";
import { changesData } from "./auth.js";
import { callerOfContext } from "../service/caller.js";

// Not audited: a task server's confirmation of a run is recorded on the run
// itself (confirmed_at, extra); an entry per confirmation would double the
// writes of every async run.
const NOT_AUDITED = new Set(["easytask.v1.TaskService/ConfirmTask"]);

const PROTOCOLS: Record<string, string> = { "easytask-documented-path": "documented" };

type Handler = (req: never, ctx: HandlerContext) => Promise<object>;

// The service's methods, those that change data recording each success in
// the audit log. The Connect routes and the documented paths call the same
// object, so every surface is audited.
export function audited<T extends object>(service: DescService, impl: T, audit: AuditLog): T {
  const methods: Record<string, Handler> = {};
  const record = (method: DescMethod, fn: Handler): Handler => async (req, ctx) => {
    const res = await fn(req, ctx);
    await audit.record({
      ...describeCall(method, req, res),
      actor: callerOfContext(ctx).name,
      method: rpcName(method),
      protocol: PROTOCOLS[ctx.protocolName] ?? ctx.protocolName,
      traceId: ctx.requestHeader.get(TRACE_ID) ?? "",
    });
    return res;
  };
  for (const method of service.methods) {
    const fn = (impl as Record<string, Handler>)[method.localName].bind(impl);
    methods[method.localName] = changesData(method) && !NOT_AUDITED.has(rpcName(method)) ? record(method, fn) : fn;
  }
  return methods as unknown as T;
}
