import { MisfirePolicy, OverlapPolicy, RouteStrategy } from "../../gen/easytask/v1/task_pb.js";

// What a task's unset (zero) policy fields mean: the engine applies these,
// and GetTask and ListTasks show them, so a task reads as it behaves.
export const DEFAULT_POLICIES = {
  misfirePolicy: MisfirePolicy.FIRE_ONCE,
  // FIRE_ALL runs at most this many of the missed slots, the latest ones.
  misfireMaxCatchUp: 10,
  overlapPolicy: OverlapPolicy.ALLOW,
  routeStrategy: RouteStrategy.RANDOM,
  retryBackoff: { initialSec: 1, multiplier: 2, maxSec: 3600 },
} as const;
