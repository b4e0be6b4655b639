import assert from "node:assert/strict";
import { test } from "node:test";
import { RouteStrategy } from "../../gen/easytask/v1/task_pb.js";
import { selectRandomRoute, selectRoutes, type RoutingState } from "../../src/policy/selectRoute.js";

const route = (id: number, port: number) => ({ id, schema: "http", host: "127.0.0.1", port });
const routes = [route(11, 9001), route(22, 9002), route(33, 9003), route(44, 9004)];
const state = (random = () => 0): RoutingState => ({ rotation: new Map(), random });
const run = (bizId = "") => ({ taskServerId: 1, bizId });

test("random picks by the injected source, clamped to the list", () => {
  assert.equal(selectRandomRoute(routes, () => 0)?.id, 11);
  assert.equal(selectRandomRoute(routes, () => 0.25)?.id, 22);
  assert.equal(selectRandomRoute(routes, () => 0.74)?.id, 33);
  assert.equal(selectRandomRoute(routes, () => 0.999999)?.id, 44);
  assert.equal(selectRandomRoute(routes, () => 1)?.id, 44);
  assert.equal(selectRandomRoute(routes, () => -0.5)?.id, 11);
  assert.equal(selectRandomRoute([], () => 0), undefined);
});

test("round robin takes the routes in turn, per task server", () => {
  const s = state();
  const picks = Array.from({ length: 5 }, () => selectRoutes(RouteStrategy.ROUND_ROBIN, routes, run(), s)[0].id);
  assert.deepEqual(picks, [11, 22, 33, 44, 11]);
  assert.equal(selectRoutes(RouteStrategy.ROUND_ROBIN, routes, { taskServerId: 2, bizId: "" }, s)[0].id, 11);
});

test("consistent hash keeps a biz_id on its route, and moves only the keys of a removed route", () => {
  const keys = Array.from({ length: 200 }, (_, i) => `order-${i}`);
  const before = new Map(keys.map((k) => [k, selectRoutes(RouteStrategy.CONSISTENT_HASH, routes, run(k), state())[0].id]));
  for (const k of keys) assert.equal(selectRoutes(RouteStrategy.CONSISTENT_HASH, [...routes].reverse(), run(k), state())[0].id, before.get(k));
  assert.ok(new Set(before.values()).size === 4, "keys spread over every route");
  const without33 = routes.filter((r) => r.id !== 33);
  for (const k of keys) {
    const after = selectRoutes(RouteStrategy.CONSISTENT_HASH, without33, run(k), state())[0].id;
    if (before.get(k) !== 33) assert.equal(after, before.get(k), `${k} stays`);
  }
});

test("failover lists every route once, starting at the random pick", () => {
  assert.deepEqual(selectRoutes(RouteStrategy.FAILOVER, routes, run(), state(() => 0.5)).map((r) => r.id), [33, 44, 11, 22]);
});

test("broadcast calls every route; no routes means none", () => {
  assert.deepEqual(selectRoutes(RouteStrategy.BROADCAST, routes, run(), state()).map((r) => r.id), [11, 22, 33, 44]);
  assert.deepEqual(selectRoutes(RouteStrategy.RANDOM, [], run(), state()), []);
});
