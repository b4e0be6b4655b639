import type { Insertable } from "kysely";
import { SchedMode, TaskState } from "../../../gen/easytask/v1/task_pb.js";
import { nextCronFire } from "../../calendar/cron.js";
import type { GoCronConversion } from "../../calendar/goCron.js";
import type { TaskTable } from "../database.js";

// A row of the original's `task` table. Times are unix seconds; every
// column may be NULL (gorm created them all nullable).
export interface GoTaskRow {
  id: number;
  created_at: number | null;
  deleted_at: number | null;
  name: string | null;
  arg: string | null;
  plan_sched_next_at: number | null;
  time_cron_expr: string | null;
  time_interval_sec: number | null;
  sched_mode: number | null;
  callback_srv_id: number | null;
  run_times: number | null;
  allow_max_run_times: number | null;
  max_run_time_sec: number | null;
  callback_path: string | null;
  biz_id: string | null;
}

// The original's sched_mode in its database (its column comment: 1 specified
// time, 2 cron, 3 interval), which is not its API's numbering.
const GO_MODES: Record<number, SchedMode> = { 1: SchedMode.AT, 2: SchedMode.CRON, 3: SchedMode.INTERVAL };

// Columns that are int32 here (run_times, max_run_times, max_run_time_sec).
const INT32_MAX = 2_147_483_647;

export interface MappedTask {
  row: Insertable<TaskTable> & { id: number };
  // The cron as the original held it, and what became of it.
  cron?: { goExpr: string; conversion: GoCronConversion };
  // The original's next due time is not a slot of the converted cron in the
  // time zone used: a sign that easytask_go.time_zone is not the zone the
  // original ran in.
  offSchedule: boolean;
}

export interface MappingContext {
  // The zone the original read its crons in (its process's local time).
  timeZone: string;
  now: number;
  // convertGoCron, memoized by the caller: few distinct expressions, many tasks.
  convert: (expr: string) => GoCronConversion;
  // The original's task servers (their ids are kept), and the one that
  // holds tasks whose task server is missing there.
  knownServers: ReadonlySet<number>;
  missingServerId: number;
}

const ADVICE = "give the task a new schedule with add_task (same name and biz_id) to schedule it again";

// One task of the original as an easytask task with the same id: its
// schedule, run count, next due time and limits carried over, soft-deleted
// tasks stopped, exhausted ones finished, and those whose schedule has no
// equivalent here paused with the reason.
export function mapGoTask(go: GoTaskRow, ctx: MappingContext): MappedTask {
  const { now } = ctx;
  const mode = GO_MODES[go.sched_mode ?? 0] ?? SchedMode.UNSPECIFIED;
  const runTimes = Math.min(Math.max(go.run_times ?? 0, 0), INT32_MAX);
  const allowed = go.allow_max_run_times ?? 0;
  const plannedAt = (go.plan_sched_next_at ?? 0) > 0 ? go.plan_sched_next_at! * 1000 : null;
  const interval = go.time_interval_sec ?? 0;
  const goExpr = (go.time_cron_expr ?? "").trim();
  const conversion = mode === SchedMode.CRON ? ctx.convert(goExpr) : undefined;

  const serverKnown = go.callback_srv_id !== null && ctx.knownServers.has(go.callback_srv_id);
  let problem = "";
  if (!serverKnown) problem = `its task server (id ${go.callback_srv_id}) does not exist in easytask (Go)`;
  else if (mode === SchedMode.UNSPECIFIED) problem = `its sched_mode ${go.sched_mode} from easytask (Go) is not one of 1 specified time, 2 cron, 3 interval`;
  else if (mode === SchedMode.INTERVAL && interval <= 0) problem = `its time_interval_sec ${interval} from easytask (Go) is not a positive interval`;
  else if (conversion && !conversion.ok) problem = `its time_cron "${goExpr}" from easytask (Go) cannot be kept: ${conversion.reason}`;
  const bounds = conversion?.ok ? conversion : { startAt: 0, endAt: 0 };

  let next: number | null = null;
  let offSchedule = false;
  if (!problem) {
    if (mode === SchedMode.AT) next = plannedAt ?? now;
    else if (mode === SchedMode.INTERVAL) next = plannedAt ?? now + interval * 1000;
    else if (conversion?.ok) {
      const slot = (after: number) => nextCronFire(conversion.cron, after, ctx.timeZone);
      next = plannedAt !== null && plannedAt >= bounds.startAt ? plannedAt : slot(Math.max(now, bounds.startAt - 1));
      offSchedule = plannedAt !== null && slot(plannedAt - 1) !== plannedAt;
    }
  }

  // The original schedules a task while deleted_at = 0 and run_times < allow_max_run_times.
  let state: TaskState;
  if ((go.deleted_at ?? 0) !== 0) state = TaskState.STOPPED;
  else if (!(runTimes < allowed)) state = TaskState.FINISHED;
  else if (problem) state = TaskState.PAUSED;
  else if (next === null || (bounds.endAt && next > bounds.endAt)) state = TaskState.FINISHED;
  else state = TaskState.SCHEDULED;

  const specAt = mode === SchedMode.AT ? Math.floor((plannedAt ?? now) / 1000) : 0;
  return {
    row: {
      id: go.id,
      name: go.name ?? "",
      biz_id: go.biz_id ?? "",
      task_server_id: serverKnown ? go.callback_srv_id! : ctx.missingServerId,
      callback_path: go.callback_path ?? "",
      sched_mode: mode,
      // Kept as the original had it when it cannot be converted, for the operator to read.
      time_cron: mode === SchedMode.CRON ? (conversion?.ok ? conversion.cron : goExpr.slice(0, 255)) : "",
      time_zone: mode === SchedMode.CRON ? ctx.timeZone : "",
      time_interval_sec: mode === SchedMode.INTERVAL ? Math.min(Math.max(interval, 0), INT32_MAX) : 0,
      time_spec_at: specAt,
      arg: go.arg ?? "",
      state,
      run_times: runTimes,
      next_fire_at: state === TaskState.SCHEDULED ? next : null,
      created_at: (go.created_at ?? 0) * 1000,
      updated_at: now,
      // A one-shot is done after its run by its mode; the original's 2^63-1 means no limit.
      max_run_times: mode === SchedMode.AT || allowed > INT32_MAX ? 0 : Math.max(allowed, 0),
      max_run_time_sec: Math.min(Math.max(go.max_run_time_sec ?? 0, 0), INT32_MAX),
      start_at: bounds.startAt,
      end_at: bounds.endAt,
      paused_reason: problem && (state === TaskState.PAUSED || state === TaskState.STOPPED) ? `${problem}; ${ADVICE}`.slice(0, 1024) : "",
    },
    ...(conversion && { cron: { goExpr, conversion } }),
    offSchedule,
  };
}
