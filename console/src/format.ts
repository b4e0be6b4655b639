import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { formatIn, zoneName } from "./time.js";
import cronstrue from "cronstrue";
import { MisfirePolicy, OverlapPolicy, RouteStrategy, RunState, SchedMode, TaskState, type Task } from "../../gen/easytask/v1/task_pb.js";

// Enum values as words: the generated enums map numbers to their names.
const words = (name: string | undefined) => (name ?? "").toLowerCase().replace(/_/g, " ");
export const taskStateName = (s: TaskState) => words(TaskState[s]);
export const runStateName = (s: RunState) => (s === RunState.UNSPECIFIED ? "—" : words(RunState[s]));
export const misfireName = (p: MisfirePolicy) => words(MisfirePolicy[p || MisfirePolicy.FIRE_ONCE]);
export const overlapName = (p: OverlapPolicy) => words(OverlapPolicy[p || OverlapPolicy.ALLOW]);
export const routeStrategyName = (p: RouteStrategy) => words(RouteStrategy[p || RouteStrategy.RANDOM]);

// Tone of a state for its badge.
export function runTone(s: RunState): "ok" | "bad" | "busy" | "" {
  if (s === RunState.SUCCEEDED) return "ok";
  if ([RunState.FAILED, RunState.TIMEOUT, RunState.KILLED, RunState.ABORTED, RunState.CANCELED].includes(s)) return "bad";
  if ([RunState.RUNNING, RunState.ASYNC_WAITING, RunState.PENDING].includes(s)) return "busy";
  return "";
}

export function taskTone(s: TaskState): "ok" | "bad" | "busy" | "" {
  if (s === TaskState.SCHEDULED) return "ok";
  if (s === TaskState.STOPPED) return "bad";
  if (s === TaskState.PAUSED) return "busy";
  return "";
}

export const ms = (t: Timestamp | undefined) => (t ? timestampDate(t).getTime() : undefined);

// "1 route", "3 routes".
export const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

export function duration(msValue: number | undefined): string {
  if (msValue === undefined) return "—";
  if (msValue < 1000) return `${Math.round(msValue)} ms`;
  if (msValue < 60_000) return `${(msValue / 1000).toFixed(1)} s`;
  return `${Math.floor(msValue / 60_000)} min ${Math.round((msValue % 60_000) / 1000)} s`;
}

export function seconds(sec: number): string {
  if (sec % 86400 === 0) return sec === 86400 ? "day" : `${sec / 86400} days`;
  if (sec % 3600 === 0) return sec === 3600 ? "hour" : `${sec / 3600} hours`;
  if (sec % 60 === 0) return sec === 60 ? "minute" : `${sec / 60} minutes`;
  return sec === 1 ? "second" : `${sec} seconds`;
}

// Undefined when cronstrue cannot read it (the server says why).
export function cronInWords(cron: string): string | undefined {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return undefined;
  }
}

// A task's schedule in words, in the zone its fire times are computed in
// (its time zone for cron, e.g. "At 06:30 (Asia/Shanghai)"; `zone`, the
// zone times are shown in, for a one-shot time), e.g. "every 10 seconds".
export function scheduleInWords(t: Pick<Task, "schedMode" | "timeCron" | "timeZone" | "timeIntervalSec" | "timeSpecAt">, zone: string): string {
  switch (t.schedMode) {
    case SchedMode.CRON:
      return `${cronInWords(t.timeCron) ?? t.timeCron} (${t.timeZone || "UTC"})`;
    case SchedMode.AT: {
      const at = Number(t.timeSpecAt) * 1000;
      return `once at ${formatIn(zone, at)} ${zoneName(zone, at)}`;
    }
    case SchedMode.INTERVAL:
      return `every ${seconds(t.timeIntervalSec)}`;
    case SchedMode.FIXED_DELAY:
      return `${seconds(t.timeIntervalSec)} after each run ends`;
    default:
      return "—";
  }
}

// Shard numbers as ranges: [0, 1, 2, 5, 7, 8] → "0–2, 5, 7–8".
export function shardRanges(shards: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < shards.length; ) {
    let j = i;
    while (j + 1 < shards.length && shards[j + 1] === shards[j]! + 1) j++;
    parts.push(i === j ? `${shards[i]}` : `${shards[i]}–${shards[j]}`);
    i = j + 1;
  }
  return parts.join(", ") || "none";
}
