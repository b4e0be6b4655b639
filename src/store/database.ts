import type { Generated, Kysely } from "kysely";

// Times are epoch milliseconds in BIGINT columns so that SQLite and MySQL
// agree on them without time-zone conversions; booleans are 0/1.

export interface TaskServerTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  // Signs callbacks and heartbeats to this task server; null: unsigned.
  // Never leaves the scheduler except as the HMAC key.
  secret: Generated<string | null>;
}

export interface TaskServerRouteTable {
  id: Generated<number>;
  task_server_id: number;
  schema: string;
  host: string;
  port: number;
  callback_timeout_sec: number;
  is_enable_health_check: number;
  failed_health_checks: Generated<number>;
  last_heartbeat_at: number | null;
  created_at: number;
}

// A route evicted after failed heartbeats: the route row is deleted (so it
// gets no callbacks or heartbeats, as before) and this record keeps what it
// was for operators, until the route is registered again or dismissed.
export interface RouteEvictionTable {
  id: Generated<number>;
  task_server_id: number;
  // The id the route had.
  route_id: number;
  schema: string;
  host: string;
  port: number;
  callback_timeout_sec: number;
  failed_health_checks: number;
  last_heartbeat_at: number | null;
  created_at: number;
  evicted_at: number;
}

export interface TaskTable {
  id: Generated<number>;
  name: string;
  biz_id: string;
  task_server_id: number;
  callback_path: string;
  sched_mode: number;
  time_cron: string;
  time_interval_sec: number;
  time_spec_at: number;
  arg: string;
  state: number;
  run_times: Generated<number>;
  next_fire_at: number | null;
  // Bumped by every change; a run is claimed only at the version it was read
  // at, so a task changed a moment ago never fires with its old settings.
  version: Generated<number>;
  created_at: number;
  updated_at: number;
  time_zone: Generated<string>;
  misfire_policy: Generated<number>;
  misfire_max_catch_up: Generated<number>;
  overlap_policy: Generated<number>;
  max_retries: Generated<number>;
  retry_initial_sec: Generated<number>;
  retry_multiplier: Generated<number>;
  retry_max_sec: Generated<number>;
  max_run_time_sec: Generated<number>;
  max_run_times: Generated<number>;
  start_at: Generated<number>;
  end_at: Generated<number>;
  route_strategy: Generated<number>;
  // OVERLAP_POLICY_QUEUE_ONE: a slot came while a run was open, so run
  // again when it finishes.
  queued: Generated<number>;
  // Why the task cannot be resumed as it is (its schedule from easytask
  // (Go) has no equivalent here); empty otherwise. AddTask clears it.
  paused_reason: Generated<string>;
}

export interface TaskLogTable {
  id: Generated<number>;
  task_id: number;
  run_times: number;
  attempt: number;
  state: number;
  route: string;
  http_status: number;
  response: string;
  error: string;
  is_success: number;
  extra: string;
  due_at: number;
  started_at: number;
  finished_at: number | null;
  confirmed_at: number | null;
  // When an open run (RUNNING or ASYNC_WAITING) times out.
  deadline_at: number | null;
  // ROUTE_STRATEGY_BROADCAST: async answers still to be confirmed.
  pending_confirms: Generated<number>;
  // The node that claimed the attempt (fired it); "" while pending.
  node_id: Generated<string>;
  // The arg sent when not the task's own (TriggerTask with an arg, and the
  // retries of that run); null: the task's.
  arg: Generated<string | null>;
  // 1: asked for by an operator (TriggerTask, RetryRun); such a run fires
  // while its task is paused.
  manual: Generated<number>;
}

// A change made through the API: who, what, when.
export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  // The API token's name, or "anonymous".
  actor: string;
  method: string;
  protocol: string;
  // ",task:42,task_server:reports,": each target between commas, so one can
  // be found with LIKE.
  targets: string;
  request: string;
  result: string;
  trace_id: string;
}

export interface AlertTable {
  id: Generated<number>;
  at: number;
  kind: number;
  task_id: number;
  task_server: string;
  route: string;
  text: string;
  // Set while the condition lasts (a task's failing streak), unique: one
  // alert per streak, whichever node sees it first. Null for events.
  open_key: string | null;
  // AlertDelivery.
  delivery: number;
  delivery_error: string;
}

// Settings all nodes of a cluster must agree on, recorded by the first.
export interface ClusterSettingTable {
  name: string;
  value: string;
}

export interface Database {
  task_server: TaskServerTable;
  task_server_route: TaskServerRouteTable;
  task: TaskTable;
  task_log: TaskLogTable;
  route_eviction: RouteEvictionTable;
  cluster_setting: ClusterSettingTable;
  audit_log: AuditLogTable;
  alert: AlertTable;
}

export type Dialect = "sqlite" | "mysql";

// An attempt that ended (any terminal state), whoever ended it: the result
// writer, the sweeper, a confirmation, a kill.
export interface RunEnd {
  taskId: number;
  taskServerId: number;
  state: number;
}

export interface RunEndSink {
  add(ends: RunEnd[]): void;
}

// What every query function takes first: the Kysely instance (or a
// transaction), which SQL dialect it speaks, the node writing (stamped on the
// runs it claims), and where ended attempts are told (in a transaction: once
// it commits).
export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  nodeId: string;
  runEnds: RunEndSink;
}
