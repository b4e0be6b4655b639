import assert from "node:assert/strict";
import { test } from "node:test";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { RUN_STATE_GROUPS } from "../../src/policy/runStates.js";

test("every run state is in exactly one group", () => {
  const states = Object.values(RunState).filter((v): v is RunState => typeof v === "number");
  const grouped = Object.values(RUN_STATE_GROUPS).flat() as RunState[];
  for (const state of states) {
    assert.equal(grouped.filter((s) => s === state).length, 1, `${RunState[state]} is in ${grouped.filter((s) => s === state).length} groups`);
  }
  assert.equal(grouped.length, states.length, "no group names a value the enum lacks");
});
