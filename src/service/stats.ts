import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { FailingTaskSchema, GetStatsResponseSchema, type GetStatsResponse, MinuteStatsSchema, TaskState } from "../../gen/easytask/v1/task_pb.js";
import type { Db } from "../store/database.js";
import type { Clock } from "../clock.js";
import { countTasksAndRoutes, failingTasks, MINUTE_MS, runsPerMinute, runsSince } from "../store/stats.js";

const HOUR_MINUTES = 60;
const MAX_FAILING_TASKS = 20;

// Every open console polls the overview, and each answer reads the last
// hour of the run log; one answer per node serves all callers for a few
// seconds, so the database's work does not grow with the viewers.
export const STATS_REUSE_MS = 5000;

export function sharedStats(db: Db, clock: Clock): () => Promise<GetStatsResponse> {
  let last: { at: number; answer: ReturnType<typeof getStats> } | undefined;
  return () => {
    const now = clock.now();
    if (!last || now - last.at >= STATS_REUSE_MS) {
      const answer = getStats(db, now);
      last = { at: now, answer };
      // A failed read is not kept: the next caller tries again.
      answer.catch(() => {
        if (last?.answer === answer) last = undefined;
      });
    }
    return last.answer;
  };
}

// The dashboard's numbers: counts now, and the runs of the last hour minute
// by minute (minutes without runs included, so a chart has no gaps).
export async function getStats(db: Db, now: number): Promise<GetStatsResponse> {
  const currentMinute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const since = currentMinute - (HOUR_MINUTES - 1) * MINUTE_MS;
  const counts = await countTasksAndRoutes(db);
  const perMinute = new Map((await runsPerMinute(db, since)).map((m) => [m.minute, m]));
  const hour = await runsSince(db, since);
  const failing = await failingTasks(db, since, MAX_FAILING_TASKS);
  const tasks = (state: TaskState) => counts.tasksByState.get(state) ?? 0;
  return create(GetStatsResponseSchema, {
    tasksScheduled: tasks(TaskState.SCHEDULED),
    tasksPaused: tasks(TaskState.PAUSED),
    tasksStopped: tasks(TaskState.STOPPED),
    tasksFinished: tasks(TaskState.FINISHED),
    taskServers: counts.taskServers,
    routes: counts.routes,
    routesUnhealthy: counts.routesUnhealthy,
    routesEvicted: counts.routesEvicted,
    minutes: Array.from({ length: HOUR_MINUTES }, (_, i) => {
      const minute = since + i * MINUTE_MS;
      const m = perMinute.get(minute);
      return create(MinuteStatsSchema, { minute: timestampFromMs(minute), fires: m?.fires ?? 0, failures: m?.failures ?? 0, latenessP99Ms: m?.latenessP99 ?? 0 });
    }),
    firesLastHour: hour.fires,
    latenessP99MsLastHour: hour.latenessP99,
    failingTasks: failing.map((f) =>
      create(FailingTaskSchema, { taskId: BigInt(f.task_id), name: f.name, srvName: f.srv_name, failures: f.failures, lastFailureAt: timestampFromMs(f.last_failure_at) }),
    ),
  });
}
