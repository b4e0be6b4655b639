import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import {
  HeartbeatRequestSchema,
  HeartbeatResponseSchema,
  TaskCallbackRequestSchema,
  TaskCallbackResponseSchema,
  type TaskCallbackResponse,
} from "../../gen/easytask/v1/callback_pb.js";

export type CmdNumbering = "documented" | "easytask-go";

// The original's README numbers heartbeat 0 and task 1; the Go server itself
// sends the opposite. Task servers written against either keep working.
const CMD: Record<CmdNumbering, { heartbeat: number; task: number }> = {
  documented: { heartbeat: 0, task: 1 },
  "easytask-go": { heartbeat: 1, task: 0 },
};

// Zero values are written out ("cmd":0, "arg":""), and task_id is a JSON
// string, as task servers of the original decode it.
const WIRE = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

export interface TaskCall {
  taskId: number;
  taskName: string;
  arg: string;
  runTimes: number;
  bizId: string;
  // Set only for retries and broadcasts, so other bodies stay the original's.
  attempt?: number;
  shardIndex?: number;
  shardTotal?: number;
}

export function taskCallbackBody(numbering: CmdNumbering, call: TaskCall): string {
  const message = create(TaskCallbackRequestSchema, { ...call, cmd: CMD[numbering].task, taskId: BigInt(call.taskId) });
  return JSON.stringify(toJson(TaskCallbackRequestSchema, message, WIRE));
}

export function heartbeatBody(numbering: CmdNumbering): string {
  return JSON.stringify(toJson(HeartbeatRequestSchema, create(HeartbeatRequestSchema, { cmd: CMD[numbering].heartbeat }), WIRE));
}

// Throws with a message fit for the run log when the answer is not a task
// callback response.
export function parseTaskAnswer(body: string): TaskCallbackResponse {
  let json: JsonValue;
  try {
    json = JSON.parse(body) as JsonValue;
  } catch {
    throw new Error("answer is not JSON");
  }
  try {
    return fromJson(TaskCallbackResponseSchema, json, { ignoreUnknownFields: true });
  } catch (err) {
    throw new Error(`answer is not a task callback response: ${(err as Error).message}`);
  }
}

export function isPong(body: string): boolean {
  try {
    return fromJson(HeartbeatResponseSchema, JSON.parse(body) as JsonValue, { ignoreUnknownFields: true }).pong;
  } catch {
    return false;
  }
}
