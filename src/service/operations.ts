import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AlertSchema,
  AlertSettingsSchema,
  AuditEntrySchema,
  ListAlertsResponseSchema,
  ListAuditLogRequestSchema,
  ListAuditLogResponseSchema,
  Role,
  WhoAmIResponseSchema,
  type ListAlertsRequest,
  type ListAuditLogRequest,
} from "../../gen/easytask/v1/cluster_pb.js";
import type { AlertSettings } from "../config/config.js";
import { listAlerts } from "../store/alerts.js";
import { listAuditEntries } from "../store/auditLog.js";
import type { Db } from "../store/database.js";
import type { Principal } from "./caller.js";
import { limitOf } from "./limits.js";
import { maxLength, pageSize, pageToken } from "./validate.js";

// Who calls, what was changed, what went wrong: the answers of WhoAmI,
// ListAuditLog and ListAlerts.

export function whoAmI(caller: Principal, authRequired: boolean) {
  return create(WhoAmIResponseSchema, { name: caller.name, role: caller.role === "viewer" ? Role.VIEWER : Role.ADMIN, authRequired });
}

const nextToken = (rows: { id: number }[], limit: number) => (rows.length === limit ? String(rows[rows.length - 1].id) : "");

export async function auditLog(db: Db, req: ListAuditLogRequest) {
  const limit = pageSize(req.pageSize);
  const rows = await listAuditEntries(db, {
    beforeId: pageToken(req.pageToken, Number.MAX_SAFE_INTEGER),
    limit,
    actor: maxLength("actor", req.actor, limitOf(ListAuditLogRequestSchema, "actor", "maxChars")),
    target: maxLength("target", req.target, limitOf(ListAuditLogRequestSchema, "target", "maxChars")),
  });
  return create(ListAuditLogResponseSchema, {
    entries: rows.map((r) =>
      create(AuditEntrySchema, {
        auditId: BigInt(r.id),
        at: timestampFromMs(r.at),
        actor: r.actor,
        method: r.method,
        protocol: r.protocol,
        targets: r.targets.split(",").filter(Boolean),
        request: r.request,
        result: r.result,
        traceId: r.trace_id,
      }),
    ),
    nextPageToken: nextToken(rows, limit),
  });
}

export async function alerts(db: Db, req: ListAlertsRequest, settings: AlertSettings) {
  const limit = pageSize(req.pageSize);
  const rows = await listAlerts(db, pageToken(req.pageToken, Number.MAX_SAFE_INTEGER), limit);
  return create(ListAlertsResponseSchema, {
    alerts: rows.map((r) =>
      create(AlertSchema, {
        alertId: BigInt(r.id),
        at: timestampFromMs(r.at),
        kind: r.kind,
        text: r.text,
        taskId: BigInt(r.task_id),
        taskServer: r.task_server,
        route: r.route,
        delivery: r.delivery,
        deliveryError: r.delivery_error,
      }),
    ),
    nextPageToken: nextToken(rows, limit),
    // The URL itself is a secret (Slack's and Teams' carry their key).
    settings: create(AlertSettingsSchema, {
      webhookConfigured: settings.webhookUrl !== "",
      webhookHost: settings.webhookUrl && new URL(settings.webhookUrl).host,
      failingRunsInARow: settings.failingRunsInARow,
    }),
  });
}
