import { test } from "node:test";
import assert from "node:assert/strict";
import { selectRandomRoute, type RouteSelector } from "../../src/registry/selectRoute.js";

const routes = [{ id: 11 }, { id: 22 }, { id: 33 }, { id: 44 }] as const;

test("random route: the injected random value picks by index", () => {
  assert.equal(selectRandomRoute(routes, () => 0)?.id, 11);
  assert.equal(selectRandomRoute(routes, () => 0.25)?.id, 22);
  assert.equal(selectRandomRoute(routes, () => 0.74)?.id, 33);
  assert.equal(selectRandomRoute(routes, () => 0.999999)?.id, 44);
});

test("random route: out-of-range random values stay inside the list", () => {
  assert.equal(selectRandomRoute(routes, () => 1)?.id, 44);
  assert.equal(selectRandomRoute(routes, () => -0.5)?.id, 11);
});

test("random route: an empty list gives undefined", () => {
  assert.equal(selectRandomRoute([], () => 0.5), undefined);
});

test("random route: defaults to Math.random and returns a member of the list", () => {
  const pick = selectRandomRoute(routes);
  assert.ok(pick !== undefined && routes.includes(pick));
});

test("random route: keeps the caller's route type and fits the strategy signature", () => {
  const strategy: RouteSelector = selectRandomRoute;
  const typed = [{ id: 1, host: "a" }];
  assert.equal(strategy(typed, () => 0)?.host, "a");
});
