import { create } from "@bufbuild/protobuf";
import { BulkTaskActionResponseSchema, TaskAction, TaskFilterSchema, TaskState, type BulkTaskActionRequest } from "../../gen/easytask/v1/task_pb.js";
import { limitOf } from "./limits.js";
import { getTask, listTasks } from "../store/tasks.js";
import { invalidArgument } from "./errors.js";
import { ALL_STATES, pause, remove, resume, stop, type StateDeps } from "./taskStates.js";
import { maxLength, pageToken, requiredId } from "./validate.js";

// Tasks one call acts on at most: each is changed on its own, so a call
// stays a bounded amount of work however many tasks a filter matches.
export const MAX_BULK = 1000;
const MAX_QUERY = limitOf(TaskFilterSchema, "query", "maxChars");
const MAX_SRV_NAME = limitOf(TaskFilterSchema, "srv_name", "maxChars");

const ACTIONS = [TaskAction.PAUSE, TaskAction.RESUME, TaskAction.STOP, TaskAction.DELETE];
const unknownAction = () => invalidArgument("action", "action is required: TASK_ACTION_PAUSE, _RESUME, _STOP or _DELETE");

async function apply(deps: StateDeps, action: TaskAction, taskId: number): Promise<boolean> {
  switch (action) {
    case TaskAction.PAUSE:
      return pause(deps, taskId);
    case TaskAction.RESUME: {
      const task = await getTask(deps.db, taskId);
      return task !== undefined && (await resume(deps, task)) === "resumed";
    }
    case TaskAction.STOP:
      return stop(deps, taskId, ALL_STATES.filter((s) => s !== TaskState.STOPPED));
    case TaskAction.DELETE:
      return remove(deps, taskId);
    default:
      throw unknownAction();
  }
}

// The tasks to act on: the ids given, or a page of the filter's, and where
// the next page starts.
async function selected(deps: StateDeps, req: BulkTaskActionRequest): Promise<{ ids: number[]; next: string }> {
  if (req.taskIds.length > 0) {
    if (req.filter) throw invalidArgument("filter", "give task_ids or a filter, not both");
    if (req.taskIds.length > MAX_BULK) throw invalidArgument("task_ids", `at most ${MAX_BULK} task_ids per call`);
    return { ids: [...new Set(req.taskIds.map((id) => requiredId("task_ids", id)))], next: "" };
  }
  const f = req.filter;
  if (!f) throw invalidArgument("filter", "task_ids or a filter is required (an empty filter means every task)");
  const query = maxLength("filter.query", f.query.trim(), MAX_QUERY);
  maxLength("filter.srv_name", f.srvName, MAX_SRV_NAME);
  const rows = await listTasks(deps.db, { afterId: pageToken(req.pageToken, 0), limit: MAX_BULK, srvName: f.srvName, state: f.state, query });
  return { ids: rows.map((r) => r.id), next: rows.length === MAX_BULK ? String(rows[rows.length - 1].id) : "" };
}

export async function bulkTaskAction(deps: StateDeps, req: BulkTaskActionRequest) {
  if (!ACTIONS.includes(req.action)) throw unknownAction();
  const { ids, next } = await selected(deps, req);
  let changed = 0;
  for (const id of ids) if (await apply(deps, req.action, id)) changed++;
  return create(BulkTaskActionResponseSchema, { changed, unchanged: ids.length - changed, nextPageToken: next });
}
