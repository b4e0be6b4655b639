import type { Received } from "../support/taskServer.js";

// What the HA tests read from the task server: which run arrived when.
export interface Callback {
  taskId: string;
  runTimes: number;
  at: number;
}

export const callbacksOf = (received: Received[]): Callback[] =>
  received.map((r) => ({ taskId: String(r.body.task_id), runTimes: Number(r.body.run_times), at: r.at }));

// Runs called back more than once, as "task_id:run_times".
export function doubles(callbacks: Callback[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const c of callbacks) {
    const key = `${c.taskId}:${c.runTimes}`;
    if (seen.has(key)) twice.add(key);
    seen.add(key);
  }
  return [...twice];
}

export interface Gap {
  taskId: string;
  from: number;
  to: number;
}

// Every pause between two consecutive callbacks of one task.
export function gaps(callbacks: Callback[]): Gap[] {
  const byTask = new Map<string, number[]>();
  for (const c of callbacks) byTask.set(c.taskId, [...(byTask.get(c.taskId) ?? []), c.at]);
  return [...byTask].flatMap(([taskId, times]) => {
    times.sort((a, b) => a - b);
    return times.slice(1).map((to, i) => ({ taskId, from: times[i]!, to }));
  });
}

// Run numbers from 1 to `upTo` that never reached the task server.
export function missingRuns(callbacks: Callback[], taskId: string, upTo: number): number[] {
  const seen = new Set(callbacks.filter((c) => c.taskId === taskId).map((c) => c.runTimes));
  return Array.from({ length: upTo }, (_, i) => i + 1).filter((n) => !seen.has(n));
}

// The longest pause of any task around an event: gaps between two callbacks
// of a task that end after `from` and begin before `to`.
export function longestPause(callbacks: Callback[], from: number, to: number): number {
  return Math.max(0, ...gaps(callbacks).filter((g) => g.to > from && g.from < to).map((g) => g.to - g.from));
}
