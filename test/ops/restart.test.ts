import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { RunState } from "../../gen/easytask/v1/task_pb.js";
import { clients, postDocumented } from "../support/api.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";
import { startNodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";

const dir = mkdtempSync(join(tmpdir(), "easytask-restart-"));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stopSharedMariaDb();
});

for (const dialect of DIALECTS) {
  describe(`restarting the easytask command on ${dialect}`, () => {
    test("SIGTERM lets the callback in flight finish and records it; runs due meanwhile fire once after the restart", async () => {
      const worker = await new FakeTaskServer().start();
      worker.answer("/slow", { body: { is_success: true, extra: "slow done" }, delayMs: 2000 });
      const { store, cleanup } = await freshStore(dialect);
      const conf = join(dir, `${dialect}.json`);
      writeFileSync(
        conf,
        JSON.stringify({ api_server: { http: { host: "127.0.0.1", port: 0 } }, ...(store.kind === "sqlite" ? { sqlite: { path: store.path } } : { mysql: { dsn: store.url } }) }),
      );
      const first = await startNodeProcess(["-c", conf]);
      const post = async (port: number, path: string, body: unknown) => {
        const res = await postDocumented(port, path, body);
        assert.equal(res.json.code, 0, res.json.msg);
        return res.json.data as { task_id?: string };
      };
      await post(first.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
      const slow = (await post(first.port, "/add_task", { name: "slow", srv_name: "w", callback_path: "/slow", sched_mode: 2, time_spec_at: Math.floor(Date.now() / 1000) })).task_id!;
      const tick = (await post(first.port, "/add_task", { name: "tick", srv_name: "w", callback_path: "/tick", sched_mode: 3, time_interval_sec: 1 })).task_id!;
      const ticks = () => worker.tasks("/tick").map((c) => c.body.run_times as number);
      await waitFor("the slow callback in flight and a tick", () => [worker.tasks("/slow").length, ticks().length], ([s, t]) => s === 1 && t! >= 1);

      assert.equal((await first.stop("SIGTERM")).code, 0);
      const ticksBefore = ticks();
      // Down long enough for two slots of the tick task to come due.
      await sleep(2500);
      assert.deepEqual(ticks(), ticksBefore, "nothing fires while no node runs");

      const second = await startNodeProcess(["-c", conf]);
      try {
        await waitFor("two ticks after the restart", ticks, (t) => t.length >= ticksBefore.length + 2);
        const api = clients(second.port).tasks;
        const slowRuns = (await api.listTaskLogs({ taskId: BigInt(slow) })).taskLogs;
        assert.deepEqual(
          slowRuns.map((r) => [r.runTimes, r.state, r.extra]),
          [[1, RunState.SUCCEEDED, "slow done"]],
          "the callback in flight at SIGTERM was answered and recorded",
        );
        assert.equal(worker.tasks("/slow").length, 1, "and not called again after the restart");

        const after = ticks().slice(ticksBefore.length);
        const last = ticksBefore.at(-1)!;
        assert.equal(after[0], last + 1, "the slots missed while down fire once (FIRE_ONCE), as the next run");
        assert.deepEqual(ticks(), Array.from({ length: ticks().length }, (_, i) => i + 1), "every run called back once, none lost, none twice");
        await post(second.port, "/stop_task", { task_id: tick });
        const tickRuns = (await api.listTaskLogs({ taskId: BigInt(tick) })).taskLogs.filter((r) => r.runTimes <= last);
        assert.equal(tickRuns.length, last);
        assert.ok(
          tickRuns.every((r) => r.state === RunState.SUCCEEDED),
          "every run before the restart is recorded succeeded",
        );
      } finally {
        assert.equal((await second.stop()).code, 0);
        await worker.stop();
        cleanup();
      }
    });
  });
}
