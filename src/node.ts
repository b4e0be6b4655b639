import type { Config } from "./config/config.js";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { etcdLeadership } from "./cluster/etcdLeadership.js";
import { standalone, type Leadership, type Member } from "./cluster/leadership.js";
import { redisLeadership } from "./cluster/redisLeadership.js";
import type { Logger } from "./log/log.js";
import { Metrics } from "./metrics/metrics.js";
import { Alerts, type RouteEviction } from "./alerts/alerts.js";
import { callbackTargets } from "./callback/targets.js";
import { runHealthChecks } from "./engine/healthChecks.js";
import { CallbackClient, trustedCas } from "./callback/client.js";
import { Dispatcher } from "./engine/dispatcher.js";
import { ResultWriter } from "./engine/resultWriter.js";
import { systemClock, type Clock } from "./clock.js";
import { DEFAULT_TIMING, Scheduler, type SchedulerTiming } from "./engine/scheduler.js";
import { DEFAULT_RETENTION_TIMING, runLogRetention, type RetentionTiming } from "./engine/logRetention.js";
import { runSweeper } from "./engine/sweeper.js";
import type { TaskEvents } from "./service/ports.js";
import { exposureWarning } from "./server/exposure.js";
import { listen } from "./server/listen.js";
import { build } from "./server/server.js";
import { openStore, type Store } from "./store/openStore.js";
import { agreeOnSetting } from "./store/clusterSettings.js";
import { ShardSet } from "./engine/shardSet.js";

export interface NodeOptions {
  log: Logger;
  clock?: Clock;
  leadership?: Leadership;
  // How long shutdown waits for callbacks in flight.
  drainMs?: number;
  timing?: Partial<SchedulerTiming>;
  retentionTiming?: Partial<RetentionTiming>;
}

export interface RunningNode {
  port: number;
  nodeId: string;
  store: Store;
  isLeading(): boolean;
  stop(): Promise<void>;
}

const SWEEP_MS = 1000;
// A dead leader's Redis lease ends after this; the original's lock lived 5 s.
const REDIS_LEASE_TTL_SEC = 3;

// Unique per process, so several nodes on one host never take each other
// for the leader (the original named nodes by ip + mac).
const newNodeId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

function leadershipFor(config: Config, log: Logger, clock: Clock): Leadership {
  const { shards } = config;
  switch (config.electDriver) {
    case "standalone":
      return standalone(shards);
    case "etcd":
      return etcdLeadership({ endpoints: config.etcd.endpoints, clusterName: config.clusterName, ttlSec: config.etcd.leaseTtlSec, shards, log, clock });
    case "redis": {
      // The original also kept its lock on a single Redis; a lease spread
      // over independent nodes would need a quorum (Redlock), which the
      // database's compare-and-set makes unnecessary for correctness.
      const [node, ...ignored] = config.redis.nodes;
      if (ignored.length > 0) log.info("redis.nodes: only the first node holds the shard leases; the others are ignored", { redis: `${node!.host}:${node!.port}` });
      return redisLeadership({ node: node!, clusterName: config.clusterName, ttlMs: REDIS_LEASE_TTL_SEC * 1000, shards, log, clock });
    }
  }
}

// How other nodes and operators reach this node's API.
function advertisedAddress(host: string, port: number): string {
  const name = host === "0.0.0.0" || host === "::" ? hostname() : host;
  return `${name.includes(":") ? `[${name}]` : name}:${port}`;
}

// Nodes of a cluster must cut the task space alike, or two would lead the
// same tasks as different shards: the first node records its count in the
// database and the others must match it.
async function checkShardCount(store: Store, config: Config): Promise<void> {
  if (config.electDriver === "standalone") return;
  const recorded = Number(await agreeOnSetting(store, "shards", String(config.shards)));
  if (recorded !== config.shards) {
    throw new Error(
      `config: shards is ${config.shards} but this cluster's database records ${recorded} (set by its first node): give every node the same shards; ` +
        "to change it, stop every node, delete the row name='shards' from the table cluster_setting, and start them with the new value",
    );
  }
}

// Starts one easytask node: the API on one port, and the scheduler, sweeper,
// retention and health checks of the shards this node leads.
export async function startNode(config: Config, opts: NodeOptions): Promise<RunningNode> {
  const { log } = opts;
  const clock = opts.clock ?? systemClock;
  const ca = config.callback.caFile === undefined ? undefined : trustedCas(config.callback.caFile);
  const nodeId = newNodeId();
  const store = await openStore(config.store, { log, goTimeZone: config.easytaskGo.timeZone, nodeId });
  try {
    await checkShardCount(store, config);
  } catch (err) {
    await store.close();
    throw err;
  }
  const targets = callbackTargets(config.callback.allowedHosts);
  const client = new CallbackClient(config.taskWorkerPoolSize, targets, clock, ca);
  const metrics = new Metrics(store, log, config.shards);
  const alerts = new Alerts({ db: store, clock, log, settings: config.alerts });
  // Every attempt that ends, whoever ends it, is counted here, and a failure
  // may complete a streak that raises an alert.
  store.runEnds.watch((ends) => {
    metrics.runsEnded(ends);
    alerts.runsEnded(ends);
  });
  const writer = new ResultWriter(store, clock, log);
  const dispatcher = new Dispatcher({ db: store, clock, client, writer, numbering: config.callbackCmdNumbering, poolSize: config.taskWorkerPoolSize, log, metrics });
  const timing = { ...DEFAULT_TIMING, ...opts.timing };
  const shards = new ShardSet(config.shards);
  const scheduler = new Scheduler({ db: store, clock, sink: dispatcher, shards, timing, log });
  const leadership = opts.leadership ?? leadershipFor(config, log, clock);
  // A run closed here may be in flight on the node leading its shard: cut it
  // here, and tell every node.
  const cut = (taskId: number, runTimes?: number) => {
    dispatcher.abortTask(taskId, runTimes);
    leadership.cut({ taskId, runTimes });
  };
  leadership.onCut((c) => dispatcher.abortTask(c.taskId, c.runTimes));
  const events: TaskEvents = {
    taskChanged: (taskId, nextFireAt) => scheduler.taskChanged(taskId, nextFireAt),
    taskStopped: (taskId) => cut(taskId),
    runQueued: () => scheduler.runQueued(),
    runKilled: (taskId, runTimes) => cut(taskId, runTimes),
  };
  const startedAt = clock.now();
  const node = { nodeId, electDriver: config.electDriver, clusterName: config.clusterName, shardCount: config.shards };
  const goCron = config.cronDialect === "easytask-go" ? { timeZone: config.easytaskGo.timeZone } : undefined;
  const handler = build({ db: store, clock, events, log, maxBodyBytes: config.maxBodyBytes, leadership, node, auth: config.auth, alerts: config.alerts, callbackTargets: targets, metrics, goCron });
  let listening;
  try {
    listening = await listen(handler, { ...config.http, log });
  } catch (err) {
    await store.close();
    throw err;
  }
  const exposed = exposureWarning(config.http.host, listening.port, config.auth.tokens);
  if (exposed) log.warn(exposed.message, { address: exposed.address });

  // The engine's loops run while this node leads at least one shard; they
  // read the shards led at every pass.
  let leader: { abort: AbortController; done: Promise<unknown> } | undefined;
  const onLeadership = (led: readonly number[]) => {
    // First: a shard lost is dropped before anything else can claim for it.
    if (shards.set(led)) log.info("shards led", { shards: shards.list(), count: shards.size, of: config.shards });
    if (led.length > 0 && !leader) {
      const abort = new AbortController();
      const healthChecks = {
        db: store,
        clock,
        client,
        numbering: config.callbackCmdNumbering,
        intervalMs: config.healthCheckIntervalSec * 1000,
        poolSize: config.healthCheckWorkerPoolSize,
        log,
        metrics,
        shards,
        onEvicted: (eviction: RouteEviction) => alerts.routeEvicted(eviction),
      };
      const sweeper = { db: store, clock, dispatcher, shards, log };
      const retention = { db: store, clock, log, metrics, retentionDays: config.logRetentionDays, shards };
      leader = {
        abort,
        done: Promise.all([
          scheduler.run(abort.signal),
          runHealthChecks(healthChecks, abort.signal),
          runSweeper(sweeper, SWEEP_MS, abort.signal),
          config.logRetentionDays > 0 && runLogRetention(retention, { ...DEFAULT_RETENTION_TIMING, ...opts.retentionTiming }, abort.signal),
        ]),
      };
      log.info("leading: scheduling and health checks started");
    } else if (led.length === 0 && leader) {
      leader.abort.abort();
      leader = undefined;
      log.info("not leading: scheduling and health checks stopped");
    }
  };
  metrics.watch({ callbacksInFlight: () => dispatcher.inFlightCount, resultsQueued: () => writer.queued, shardsLed: () => shards.size });
  const self: Member = { id: nodeId, address: advertisedAddress(config.http.host, listening.port), startedAt };
  await leadership.start(self, onLeadership);
  log.info("easytask node started", { port: listening.port, tls: config.http.tls !== undefined, node_id: nodeId, store: config.store.kind, elect_driver: config.electDriver });

  return {
    port: listening.port,
    nodeId,
    store,
    isLeading: () => leader !== undefined,
    // Stops claiming runs and resigns first, so another node leads at once;
    // then lets callbacks in flight finish, still answering the API (their
    // task servers may confirm runs meanwhile).
    async stop() {
      const stopping = leader?.done;
      await leadership.stop();
      await stopping;
      await dispatcher.drain(opts.drainMs ?? 10_000);
      await writer.drain(opts.drainMs ?? 10_000);
      writer.close();
      await alerts.stop();
      await listening.close();
      client.close();
      await store.close();
      log.info("easytask node stopped");
    },
  };
}
