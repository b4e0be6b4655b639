import assert from "node:assert/strict";
import { test } from "node:test";
import { OverlapPolicy, RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { planFinish, type FinishPolicyColumns } from "../../src/policy/planFinish.js";

const NOW = Date.UTC(2026, 0, 1, 10, 0, 0);

const task = (extra: Partial<FinishPolicyColumns> = {}): FinishPolicyColumns => ({
  state: TaskState.SCHEDULED,
  sched_mode: SchedMode.INTERVAL,
  time_interval_sec: 5,
  max_retries: 0,
  overlap_policy: OverlapPolicy.ALLOW,
  retry_initial_sec: 0,
  retry_multiplier: 0,
  retry_max_sec: 0,
  ...extra,
});

test("a failed or timed-out attempt is retried while attempts are left, with backoff", () => {
  const t = task({ max_retries: 2, retry_initial_sec: 3, retry_multiplier: 4 });
  assert.deepEqual(planFinish(t, 1, RunState.FAILED, NOW), { retryAt: NOW + 3000, startQueuedRun: false });
  assert.deepEqual(planFinish(t, 2, RunState.TIMEOUT, NOW), { retryAt: NOW + 12_000, startQueuedRun: false });
  assert.equal(planFinish(t, 3, RunState.FAILED, NOW).retryAt, undefined, "the last attempt is not retried");
});

test("backoff defaults to 1 s doubling, capped at retry_max_sec", () => {
  const t = task({ max_retries: 20 });
  assert.equal(planFinish(t, 1, RunState.FAILED, NOW).retryAt, NOW + 1000);
  assert.equal(planFinish(t, 4, RunState.FAILED, NOW).retryAt, NOW + 8000);
  assert.equal(planFinish(t, 20, RunState.FAILED, NOW).retryAt, NOW + 3600_000);
  assert.equal(planFinish({ ...t, retry_max_sec: 5 }, 4, RunState.FAILED, NOW).retryAt, NOW + 5000);
});

test("succeeded, killed, aborted and canceled attempts are never retried", () => {
  const t = task({ max_retries: 5 });
  for (const state of [RunState.SUCCEEDED, RunState.KILLED, RunState.ABORTED, RunState.CANCELED]) {
    assert.equal(planFinish(t, 1, state, NOW).retryAt, undefined, RunState[state]);
  }
});

test("a stopped task's failed attempt is not retried", () => {
  assert.equal(planFinish(task({ max_retries: 5, state: TaskState.STOPPED }), 1, RunState.FAILED, NOW).retryAt, undefined);
});

test("fixed delay: the next slot is one delay after the run ended, once no retry follows", () => {
  const t = task({ sched_mode: SchedMode.FIXED_DELAY, time_interval_sec: 7, max_retries: 1 });
  assert.deepEqual(planFinish(t, 2, RunState.FAILED, NOW), { nextFireAt: NOW + 7000, startQueuedRun: false });
  assert.deepEqual(planFinish(t, 1, RunState.SUCCEEDED, NOW), { nextFireAt: NOW + 7000, startQueuedRun: false });
  assert.equal(planFinish(t, 1, RunState.FAILED, NOW).nextFireAt, undefined, "the retry comes first");
  assert.equal(planFinish(task(), 1, RunState.SUCCEEDED, NOW).nextFireAt, undefined, "fixed rate keeps its grid");
});

test("queue one: the queued run starts when the open one ends", () => {
  const t = task({ overlap_policy: OverlapPolicy.QUEUE_ONE, max_retries: 1 });
  assert.equal(planFinish(t, 1, RunState.SUCCEEDED, NOW).startQueuedRun, true);
  assert.equal(planFinish(t, 1, RunState.KILLED, NOW).startQueuedRun, true);
  assert.equal(planFinish(t, 1, RunState.FAILED, NOW).startQueuedRun, false, "not while the run is retried");
  assert.equal(planFinish(task(), 1, RunState.SUCCEEDED, NOW).startQueuedRun, false);
});
