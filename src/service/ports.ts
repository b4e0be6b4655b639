// What the use cases need from the rest of the node, passed in so a test can
// build them with a fixed clock and watch the events.

// Lets the scheduler of this node react at once to API changes; other nodes
// see them through the database.
export interface TaskEvents {
  taskChanged(taskId: number, nextFireAt: number | null): void;
  // Stopped or deleted: cut its callbacks in flight.
  taskStopped(taskId: number): void;
  // A run outside the schedule was queued (TriggerTask).
  runQueued(): void;
  // A run was killed: cut its callback in flight.
  runKilled(taskId: number, runTimes: number): void;
}
