export interface RouteLike {
  id: number;
}

// The signature every routing strategy is meant to share, so that a table
// keyed by strategy name can later hold them side by side.
export type RouteSelector = <R extends RouteLike>(routes: readonly R[], random?: () => number) => R | undefined;

// `random` is injectable so tests can pick a route by index without seeding.
export function selectRandomRoute<R extends RouteLike>(routes: readonly R[], random: () => number = Math.random): R | undefined {
  if (routes.length === 0) return undefined;
  // Clamped because an injected source may return exactly 1 (or drift outside
  // [0, 1)), which would otherwise index past either end.
  const index = Math.min(routes.length - 1, Math.max(0, Math.floor(random() * routes.length)));
  return routes[index];
}
