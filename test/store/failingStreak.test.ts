import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { closeAlert, failingStreak, raiseAlert } from "../../src/store/alerts.js";
import { openStore, type Store } from "../../src/store/openStore.js";
import { pendingRow } from "../../src/store/taskLogs.js";
import { findTaskServerId, upsertRoute } from "../../src/store/taskServers.js";
import { upsertTask } from "../../src/store/tasks.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";

after(stopSharedMariaDb);

const { SUCCEEDED: OK, FAILED: F, TIMEOUT: T, KILLED: K, RUNNING: R, PENDING: P } = RunState;

// A task whose runs ended as listed, oldest first; each run a list of its
// attempts' states.
async function taskWithRuns(store: Store, name: string, runs: RunState[][]): Promise<number> {
  const taskServerId = (await findTaskServerId(store, "w"))!;
  const taskId = await upsertTask(store, { name, biz_id: "", task_server_id: taskServerId, callback_path: "/", sched_mode: SchedMode.INTERVAL, time_cron: "", time_interval_sec: 60, time_spec_at: 0, arg: "", next_fire_at: null }, 1);
  for (const [i, attempts] of runs.entries()) {
    for (const [j, state] of attempts.entries()) {
      await store.kysely.insertInto("task_log").values({ ...pendingRow(taskId, i + 1, j + 1, 1000 * i), state, error: `run ${i + 1} attempt ${j + 1}` }).execute();
    }
  }
  return taskId;
}

for (const dialect of DIALECTS) {
  describe(`failing streaks and open alerts on ${dialect}`, () => {
    test("a streak counts runs (by their latest attempt) that failed or timed out since the last success; open runs are passed over, killed ones neither count nor break it", async () => {
      const { store: config, cleanup } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      await upsertRoute(store, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, 1, 256);
      const streak = async (runs: RunState[][], atLeast = 10) => failingStreak(store, await taskWithRuns(store, `t${Math.random()}`, runs), atLeast);

      assert.deepEqual(await streak([[F], [OK], [F], [T], [F, F]]), { runs: 3, lastError: "run 5 attempt 2" });
      assert.deepEqual(await streak([[F], [F, OK], [F]]), { runs: 1, lastError: "run 3 attempt 1" }, "a retry that succeeded ends the streak");
      assert.deepEqual(await streak([[F], [F], [K], [F], [R], [P]]), { runs: 3, lastError: "run 4 attempt 1" }, "killed runs skipped; open ones too");
      assert.deepEqual(await streak([[F, F, F]]), { runs: 1, lastError: "run 1 attempt 3" }, "one run however many attempts");
      assert.deepEqual(await streak([]), { runs: 0, lastError: "" });
      const long = Array.from({ length: 450 }, (): RunState[] => [F]);
      assert.equal((await streak(long, 400)).runs, 400, "read page by page, and only as far as asked");

      // One open alert per key, whoever raises it; closing frees the key.
      const alert = { at: 1, kind: 1, task_id: 1, task_server: "w", route: "", text: "x", open_key: "task_failing:1", delivery: 1, delivery_error: "" };
      const first = await raiseAlert(store, alert);
      assert.ok(first !== undefined);
      assert.equal(await raiseAlert(store, alert), undefined, "the streak's alert is raised once");
      await closeAlert(store, "task_failing:1");
      assert.ok((await raiseAlert(store, alert))! > first!);
      await store.close();
      cleanup();
    });
  });
}
