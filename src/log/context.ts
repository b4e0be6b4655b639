import { AsyncLocalStorage } from "node:async_hooks";

export type LogFields = Record<string, unknown>;

// Fields every line logged within a unit of work carries (a request's
// trace_id, a run's task_id/run_times/attempt), without passing them down
// through every call.
const storage = new AsyncLocalStorage<LogFields>();

// Runs fn with these fields added to the ones already in effect.
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

// For work started inside one unit that serves many (a batch writer): its
// lines must not carry the fields of whoever happened to start it.
export function withoutLogFields<T>(fn: () => T): T {
  return storage.exit(fn);
}

export function currentLogFields(): LogFields | undefined {
  return storage.getStore();
}
