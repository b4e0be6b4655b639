import { RouteStrategy } from "../../gen/easytask/v1/task_pb.js";
import { routeUrl } from "../callback/routeUrl.js";

export interface RouteLike {
  id: number;
  schema: string;
  host: string;
  port: number;
}

export interface RoutingState {
  // Next index per task server for ROUND_ROBIN. Kept in memory: a new
  // leader starting over at 0 only shifts the rotation.
  readonly rotation: Map<number, number>;
  random: () => number;
}

// `random` is injectable so tests can pick a route by index without seeding.
export function selectRandomRoute<R extends RouteLike>(routes: readonly R[], random: () => number = Math.random): R | undefined {
  if (routes.length === 0) return undefined;
  // Clamped because an injected source may return exactly 1 (or drift outside
  // [0, 1)), which would otherwise index past either end.
  const index = Math.min(routes.length - 1, Math.max(0, Math.floor(random() * routes.length)));
  return routes[index];
}

// FNV-1a: a small, well-spread string hash for rendezvous hashing.
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Rendezvous hashing on the route's address (not its id, which changes when
// an evicted route registers again): a biz_id keeps its route while that
// route stays, and only the keys of a removed route move.
function byHash<R extends RouteLike>(routes: readonly R[], key: string): R {
  let best = routes[0];
  let bestScore = -1;
  for (const r of routes) {
    const score = fnv1a(`${key}|${routeUrl(r)}`);
    if (score > bestScore) [best, bestScore] = [r, score];
  }
  return best;
}

// The routes to call for one run, in order: one route for most strategies,
// the first plus the ones to fall back to for FAILOVER, all for BROADCAST.
export function selectRoutes<R extends RouteLike>(
  strategy: RouteStrategy,
  routes: readonly R[],
  run: { taskServerId: number; bizId: string },
  state: RoutingState,
): R[] {
  if (routes.length === 0) return [];
  const sorted = [...routes].sort((a, b) => a.id - b.id);
  switch (strategy) {
    case RouteStrategy.ROUND_ROBIN: {
      const next = state.rotation.get(run.taskServerId) ?? 0;
      state.rotation.set(run.taskServerId, (next + 1) % sorted.length);
      return [sorted[next % sorted.length]];
    }
    case RouteStrategy.CONSISTENT_HASH:
      return [byHash(sorted, run.bizId)];
    case RouteStrategy.FAILOVER: {
      const first = sorted.indexOf(selectRandomRoute(sorted, state.random)!);
      return [...sorted.slice(first), ...sorted.slice(0, first)];
    }
    case RouteStrategy.BROADCAST:
      return sorted;
    default:
      return [selectRandomRoute(sorted, state.random)!];
  }
}
