import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  ClusterMemberSchema,
  ClusterService,
  GetClusterResponseSchema,
  type GetClusterResponse,
  type ListAlertsRequest,
  type ListAuditLogRequest,
} from "../../gen/easytask/v1/cluster_pb.js";
import { withDeadline, type Clock } from "../clock.js";
import { SHUTTING_DOWN, type ClusterView, type Leadership } from "../cluster/leadership.js";
import { ping } from "../store/availability.js";
import type { Db } from "../store/database.js";
import { callerOfContext } from "./caller.js";
import type { AlertSettings } from "../config/config.js";
import { alerts, auditLog, whoAmI } from "./operations.js";

export interface NodeInfo {
  nodeId: string;
  electDriver: string;
  clusterName: string;
  shardCount: number;
}

// How the node is run: whether the API asks for tokens, where alerts go.
export interface Operation {
  authRequired: boolean;
  alerts: AlertSettings;
}

export interface Readiness {
  ready: boolean;
  // Why not; empty when ready.
  reason: string;
  nodeId: string;
  leading: boolean;
  // Whether the node knows if it may lead; when not, why.
  leadershipKnown: boolean;
  leadershipReason: string;
}

// A database that takes longer to answer a ping is as good as down for
// callers, and a probe must answer in time anyway.
const PING_TIMEOUT_MS = 2000;

// This node's place in the cluster, and whether it is ready: whether it can
// serve the API. That needs the database, not etcd or Redis: a load
// balancer must keep every node while none reaches the election backend
// (nobody schedules then, but the API works). Leadership is reported beside
// it. A node shutting down is not ready, so balancers drain it.
export class ClusterServiceImpl implements ServiceImpl<typeof ClusterService> {
  constructor(
    private readonly db: Db,
    private readonly leadership: Leadership,
    private readonly node: NodeInfo,
    private readonly clock: Clock,
    private readonly operation: Operation,
  ) {}

  async readiness(): Promise<Readiness> {
    const problems: string[] = [];
    try {
      await withDeadline(this.clock, ping(this.db), PING_TIMEOUT_MS, "database ping");
    } catch (err) {
      problems.push(`database unavailable: ${(err as Error).message}`);
    }
    // Read after the ping, which may have taken a while.
    const state = this.leadership.state();
    if (state.reason === SHUTTING_DOWN) problems.push(SHUTTING_DOWN);
    return {
      ready: problems.length === 0,
      reason: problems.join("; "),
      nodeId: this.node.nodeId,
      leading: state.shards.length > 0,
      leadershipKnown: state.known,
      leadershipReason: state.known ? "" : state.reason,
    };
  }

  // What etcd or Redis cannot tell right now (leader, members) is left
  // empty; why is in leadership_unknown_reason once the node notices.
  async getCluster(): Promise<GetClusterResponse> {
    const unknown: ClusterView = { members: [] };
    const [readiness, view] = await Promise.all([this.readiness(), this.leadership.view().catch(() => unknown)]);
    return create(GetClusterResponseSchema, {
      nodeId: this.node.nodeId,
      isLeader: readiness.leading,
      leaderId: view.members.find((m) => m.shards.includes(0))?.id ?? "",
      members: view.members.map((m) => create(ClusterMemberSchema, { nodeId: m.id, address: m.address, startedAt: timestampFromMs(m.startedAt), shards: m.shards })),
      shardCount: this.node.shardCount,
      shards: [...this.leadership.state().shards],
      electDriver: this.node.electDriver,
      clusterName: this.node.clusterName,
      ready: readiness.ready,
      notReadyReason: readiness.reason,
      leadershipKnown: readiness.leadershipKnown,
      leadershipUnknownReason: readiness.leadershipReason,
    });
  }

  whoAmI(_req: unknown, ctx: HandlerContext) {
    return whoAmI(callerOfContext(ctx), this.operation.authRequired);
  }

  listAuditLog(req: ListAuditLogRequest) {
    return auditLog(this.db, req);
  }

  listAlerts(req: ListAlertsRequest) {
    return alerts(this.db, req, this.operation.alerts);
  }
}
