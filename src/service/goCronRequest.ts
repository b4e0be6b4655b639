import { AddTaskRequestSchema, SchedMode, type AddTaskRequest } from "../../gen/easytask/v1/task_pb.js";
import { checkTimeZone } from "../calendar/cron.js";
import { convertGoCron } from "../calendar/goCron.js";
import type { Clock } from "../clock.js";
import { invalidArgument } from "./errors.js";
import { limitOf } from "./limits.js";
import { maxLength } from "./validate.js";

const MAX_CRON = limitOf(AddTaskRequestSchema, "time_cron", "maxChars");

// AddTask as the Go original's clients mean it (cron_dialect "easytask-go"):
// time_cron in its dialect (6 fields are minute … year), read in its time
// zone (the zone it ran in) unless the request names one. The request
// continues with the equivalent expression, and the year field as start_at
// and end_at; an expression with no equivalent is refused, naming time_cron.
export function goCronRequest(timeZone: string, clock: Clock): (req: AddTaskRequest) => AddTaskRequest {
  return (req) => {
    if (req.schedMode !== SchedMode.CRON || req.timeCron.trim() === "") return req;
    const zone = req.timeZone || timeZone;
    try {
      checkTimeZone(zone);
    } catch {
      // AddTask refuses the time_zone field itself.
      return req;
    }
    const expr = maxLength("time_cron", req.timeCron.trim(), MAX_CRON);
    const converted = convertGoCron(expr, zone, clock.now());
    if (!converted.ok) throw invalidArgument("time_cron", `time_cron "${expr}", read as easytask (Go) read it (cron_dialect "easytask-go"): ${converted.reason}`);
    const startAt = BigInt(Math.floor(converted.startAt / 1000));
    const endAt = BigInt(Math.floor(converted.endAt / 1000));
    return {
      ...req,
      timeCron: converted.cron,
      timeZone: zone,
      startAt: startAt > req.startAt ? startAt : req.startAt,
      endAt: endAt && (!req.endAt || endAt < req.endAt) ? endAt : req.endAt,
    };
  };
}
