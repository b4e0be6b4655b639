import type { Config } from "./config/config.js";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { etcdLeadership } from "./cluster/etcdLeadership.js";
import { standalone, type Leadership } from "./cluster/leadership.js";
import { redisLeadership } from "./cluster/redisLeadership.js";
import type { Logger } from "./log.js";
import { runHealthChecks } from "./registry/healthChecks.js";
import { CallbackClient } from "./scheduler/callbackClient.js";
import { Dispatcher } from "./scheduler/dispatcher.js";
import { Scheduler, systemSchedulerClock, type SchedulerClock } from "./scheduler/scheduler.js";
import { listen } from "./server/listen.js";
import { build } from "./server/server.js";
import { openStore, type Store } from "./store/openStore.js";
import { WHOLE_RANGE } from "./store/tasks.js";

export interface NodeOptions {
  log: Logger;
  clock?: SchedulerClock;
  leadership?: Leadership;
  // How long shutdown waits for callbacks in flight.
  drainMs?: number;
}

export interface RunningNode {
  port: number;
  store: Store;
  isLeading(): boolean;
  stop(): Promise<void>;
}

const POLL_MS = 250;
const CLAIM_BATCH = 200;
// A dead leader's lease (etcd or Redis) ends after this; the original's lock lived 5 s.
const ELECTION_TTL_SEC = 3;

// Unique per process, so several nodes on one host never take each other
// for the leader (the original named nodes by ip + mac).
const newNodeId = () => `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

function leadershipFor(config: Config, log: Logger): Leadership {
  switch (config.electDriver) {
    case "standalone":
      return standalone();
    case "etcd":
      return etcdLeadership({ endpoints: config.etcd.endpoints, clusterName: config.clusterName, nodeId: newNodeId(), ttlSec: ELECTION_TTL_SEC, log });
    case "redis": {
      // The original also kept its lock on a single Redis; a lease spread
      // over independent nodes would need a quorum (Redlock), which the
      // database's compare-and-set makes unnecessary for correctness.
      const [node, ...ignored] = config.redis.nodes;
      if (ignored.length > 0) log.info("redis.nodes: only the first node holds the leader lease; the others are ignored", { redis: `${node!.host}:${node!.port}` });
      return redisLeadership({ node: node!, clusterName: config.clusterName, nodeId: newNodeId(), ttlMs: ELECTION_TTL_SEC * 1000, log });
    }
  }
}

// Starts one easytask node: the API on one port, and the scheduler and
// health checks while this node leads.
export async function startNode(config: Config, opts: NodeOptions): Promise<RunningNode> {
  const { log } = opts;
  const clock = opts.clock ?? systemSchedulerClock;
  const store = await openStore(config.store.kind === "sqlite" ? config.store : { kind: "mysql", url: config.store.url });
  const client = new CallbackClient(config.taskWorkerPoolSize);
  const dispatcher = new Dispatcher({ db: store, clock, client, numbering: config.callbackCmdNumbering, poolSize: config.taskWorkerPoolSize, log });
  const scheduler = new Scheduler({ db: store, clock, sink: dispatcher, shard: WHOLE_RANGE, pollMs: POLL_MS, batchSize: CLAIM_BATCH, log });
  const events = {
    taskChanged: (_taskId: number, nextFireAt: number) => scheduler.wake(nextFireAt),
    taskStopped: (taskId: number) => dispatcher.abortTask(taskId),
  };
  const handler = build({ db: store, clock, events, log, maxBodyBytes: config.maxBodyBytes });
  let listening;
  try {
    listening = await listen(handler, config.http.host, config.http.port);
  } catch (err) {
    await store.close();
    throw err;
  }

  let leader: { abort: AbortController; done: Promise<unknown> } | undefined;
  const onLeadership = (leading: boolean) => {
    if (leading && !leader) {
      const abort = new AbortController();
      const healthChecks = {
        db: store,
        clock,
        client,
        numbering: config.callbackCmdNumbering,
        intervalMs: config.healthCheckIntervalSec * 1000,
        poolSize: config.healthCheckWorkerPoolSize,
        log,
      };
      leader = { abort, done: Promise.all([scheduler.run(abort.signal), runHealthChecks(healthChecks, abort.signal)]) };
      log.info("leading: scheduling and health checks started");
    } else if (!leading && leader) {
      leader.abort.abort();
      leader = undefined;
      log.info("not leading: scheduling and health checks stopped");
    }
  };
  const leadership = opts.leadership ?? leadershipFor(config, log);
  await leadership.start(onLeadership);
  log.info("easytask node started", { port: listening.port, store: config.store.kind, elect_driver: config.electDriver });

  return {
    port: listening.port,
    store,
    isLeading: () => leader !== undefined,
    async stop() {
      const stopping = leader?.done;
      await leadership.stop();
      await stopping;
      await dispatcher.drain(opts.drainMs ?? 10_000);
      await listening.close();
      client.close();
      await store.close();
      log.info("easytask node stopped");
    },
  };
}
