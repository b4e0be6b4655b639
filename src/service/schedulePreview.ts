import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { PreviewScheduleRequestSchema, PreviewScheduleResponseSchema, TaskState, type PreviewScheduleRequest } from "../../gen/easytask/v1/task_pb.js";
import { upcomingFireTimes } from "../calendar/nextFireTime.js";
import { scheduleOfTask } from "../calendar/taskSchedule.js";
import type { Db } from "../store/database.js";
import { getTask } from "../store/tasks.js";
import { invalidArgument, taskNotFound } from "./errors.js";
import { limitOf } from "./limits.js";
import { firstFire, scheduleOf, unixSeconds } from "./taskInput.js";
import { requiredId } from "./validate.js";

const DEFAULT_COUNT = 5;
const MAX_COUNT = limitOf(PreviewScheduleRequestSchema, "count", "maxValue");

// A stored task's next fire times from its next_fire_at (none unless it is
// scheduled), within its end_at and its runs left; otherwise those of the
// schedule fields, checked and bounded as AddTask would.
async function fireTimes(db: Db, req: PreviewScheduleRequest, now: number, count: number): Promise<number[]> {
  if (req.taskId !== 0n) {
    const taskId = requiredId("task_id", req.taskId);
    const task = await getTask(db, taskId);
    if (!task) throw taskNotFound(taskId);
    if (task.state !== TaskState.SCHEDULED) return [];
    const runsLeft = task.max_run_times ? Math.max(0, task.max_run_times - task.run_times) : count;
    return upcomingFireTimes(scheduleOfTask(task), task.next_fire_at, task.end_at, Math.min(count, runsLeft));
  }
  const schedule = scheduleOf(req);
  const bounds = { start_at: unixSeconds("start_at", req.startAt), end_at: unixSeconds("end_at", req.endAt) };
  return upcomingFireTimes(schedule, firstFire(schedule, bounds, now), bounds.end_at, count);
}

export async function previewSchedule(db: Db, req: PreviewScheduleRequest, now: number) {
  if (req.count > MAX_COUNT) throw invalidArgument("count", `count must be at most ${MAX_COUNT}`);
  const times = await fireTimes(db, req, now, req.count || DEFAULT_COUNT);
  return create(PreviewScheduleResponseSchema, { fireTimes: times.map(timestampFromMs) });
}
