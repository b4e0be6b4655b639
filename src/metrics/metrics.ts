import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import type { Logger } from "../log/log.js";
import type { Db, RunEnd } from "../store/database.js";
import { listTaskServers, taskServerName } from "../store/taskServers.js";
import { shardOfTask } from "../policy/shards.js";

// What only the running node knows, read at each scrape.
export interface NodeState {
  callbacksInFlight(): number;
  // Callback answers not yet written to the database.
  resultsQueued(): number;
  // How many shards this node leads (0: it schedules nothing).
  shardsLed(): number;
}

// Seconds. Lateness is milliseconds when all is well and minutes after an
// outage; a callback takes from milliseconds to its timeout.
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

const resultLabel = (state: RunState) => RunState[state].toLowerCase();

// One node's metrics, in a registry of its own (several nodes may share a
// process). Runs are labelled with their task server's name: names are
// bounded by registrations, and a task server's id never changes its name,
// so names are cached for good. Task ids and routes are never labels; a
// run's shard is (bounded by the config `shards`).
export class Metrics {
  readonly registry = new Registry();
  private node: NodeState = { callbacksInFlight: () => 0, resultsQueued: () => 0, shardsLed: () => 0 };
  private readonly names = new Map<number, Promise<string>>();
  private readonly fired: Counter<"task_server">;
  private readonly firedByShard: Counter<"shard">;
  // The counter's child per shard, looked up once: a run should not pay for
  // hashing its labels.
  private readonly shardChildren: { inc(): void }[] = [];
  private readonly finished: Counter<"task_server" | "result">;
  private readonly lateness: Histogram;
  private readonly duration: Histogram<"task_server">;
  private readonly evictions: Counter<"task_server">;
  private readonly api: Counter<"method" | "protocol" | "code">;
  private readonly logRowsDeleted: Counter;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly shardCount: number,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.fired = new Counter({ name: "easytask_runs_fired_total", help: "Callbacks started (one per attempt), by task server", labelNames: ["task_server"], registers });
    this.firedByShard = new Counter({ name: "easytask_runs_fired_by_shard_total", help: "Callbacks started (one per attempt) on this node, by shard of the task", labelNames: ["shard"], registers });
    this.finished = new Counter({
      name: "easytask_runs_total",
      help: "Attempts that ended, by task server and result (succeeded, failed, timeout, aborted, killed)",
      labelNames: ["task_server", "result"],
      registers,
    });
    this.lateness = new Histogram({ name: "easytask_firing_lateness_seconds", help: "From a run's due time to the start of its callback", buckets: LATENESS_BUCKETS, registers });
    this.duration = new Histogram({
      name: "easytask_callback_duration_seconds",
      help: "From the start of a callback to its answer (or error, timeout), by task server",
      labelNames: ["task_server"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.evictions = new Counter({ name: "easytask_routes_evicted_total", help: "Routes removed after failed heartbeats, by task server", labelNames: ["task_server"], registers });
    this.api = new Counter({
      name: "easytask_api_requests_total",
      help: "API requests by RPC, protocol (connect, grpc, grpc_web, documented) and code (ok or the Connect error code)",
      labelNames: ["method", "protocol", "code"],
      registers,
    });
    this.logRowsDeleted = new Counter({ name: "easytask_task_log_rows_deleted_total", help: "Run history rows deleted by log_retention_days", registers });
    const inFlight: Gauge = new Gauge({ name: "easytask_callbacks_in_flight", help: "Task callbacks in flight on this node", registers, collect: () => inFlight.set(this.node.callbacksInFlight()) });
    const queued: Gauge = new Gauge({
      name: "easytask_run_results_queued",
      help: "Callback answers received and not yet written to the database; a number that keeps growing means results fall behind the runs",
      registers,
      collect: () => queued.set(this.node.resultsQueued()),
    });
    const leader: Gauge = new Gauge({ name: "easytask_leader", help: "1 while this node leads at least one shard (schedules), else 0", registers, collect: () => leader.set(this.node.shardsLed() > 0 ? 1 : 0) });
    const shardsLed: Gauge = new Gauge({ name: "easytask_shards_led", help: "Shards this node leads", registers, collect: () => shardsLed.set(this.node.shardsLed()) });
    const routes: Gauge<"task_server" | "health"> = new Gauge({
      name: "easytask_routes",
      help: "Registered routes by task server and health (healthy: passed its last heartbeat or not checked; failing: failed the last ones, not yet evicted; evicted: removed after failed heartbeats and not registered again)",
      labelNames: ["task_server", "health"],
      registers,
      collect: () => this.countRoutes(routes),
    });
  }

  watch(node: NodeState): void {
    this.node = node;
  }

  runFired(taskServerId: number, latenessMs: number, taskId: number): void {
    this.lateness.observe(Math.max(0, latenessMs) / 1000);
    const shard = shardOfTask(taskId, this.shardCount);
    (this.shardChildren[shard] ??= this.firedByShard.labels({ shard: String(shard) })).inc();
    this.labelled(taskServerId, (task_server) => this.fired.inc({ task_server }));
  }

  callbackEnded(taskServerId: number, durationMs: number): void {
    this.labelled(taskServerId, (task_server) => this.duration.observe({ task_server }, durationMs / 1000));
  }

  // Counts the attempts that ended, as the store tells them (Db.runEnds).
  runsEnded(ends: RunEnd[]): void {
    for (const e of ends) this.labelled(e.taskServerId, (task_server) => this.finished.inc({ task_server, result: resultLabel(e.state) }));
  }

  routeEvicted(taskServerId: number): void {
    this.labelled(taskServerId, (task_server) => this.evictions.inc({ task_server }));
  }

  apiRequest(method: string, protocol: string, code: string): void {
    this.api.inc({ method, protocol, code });
  }

  runLogRowsDeleted(rows: number): void {
    this.logRowsDeleted.inc(rows);
  }

  // The name is looked up once per task server (at its first fired run, a
  // moment after the database answered the claim).
  private labelled(taskServerId: number, record: (taskServer: string) => void): void {
    let name = this.names.get(taskServerId);
    if (!name) {
      name = taskServerName(this.db, taskServerId).then(
        (n) => n ?? `#${taskServerId}`,
        (err) => {
          this.names.delete(taskServerId);
          this.log.warn("metrics: looking up a task server's name failed", { err, task_server_id: taskServerId });
          return `#${taskServerId}`;
        },
      );
      this.names.set(taskServerId, name);
    }
    void name.then(record);
  }

  // Read from the database at each scrape, so every node (not only the
  // leader, which runs the health checks) shows them. Without a database
  // the series are left out rather than shown stale.
  private async countRoutes(gauge: Gauge<"task_server" | "health">): Promise<void> {
    gauge.reset();
    try {
      for (const server of await listTaskServers(this.db)) {
        const failing = server.routes.filter((r) => r.failed_health_checks > 0).length;
        gauge.set({ task_server: server.name, health: "healthy" }, server.routes.length - failing);
        gauge.set({ task_server: server.name, health: "failing" }, failing);
        gauge.set({ task_server: server.name, health: "evicted" }, server.evicted.length);
      }
    } catch (err) {
      this.log.warn("metrics: counting routes failed", { err });
    }
  }
}
