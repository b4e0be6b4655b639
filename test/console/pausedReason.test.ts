import assert from "node:assert/strict";
import { test } from "node:test";
import { SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { consoleSuite } from "../support/consoleSuite.js";

// A task the upgrade from easytask (Go) kept paused (its cron has no
// equivalent here) says why in the console, which offers no Resume for it.

const s = consoleSuite("sqlite", { taskServer: "legacy" });
const REASON = 'its time_cron "0 9 15W * *" from easytask (Go) cannot be kept: its day-of-month "15w" (the weekday nearest a day) has no equivalent in easytask';

test("the task page and the task list show why a task is paused", async () => {
  const { taskId } = await s.api.tasks.addTask({ name: "weekday-report", srvName: "legacy", schedMode: SchedMode.CRON, timeCron: "0 0 9 15 * *" });
  // As the upgrade leaves it.
  await s.node.store.kysely
    .updateTable("task")
    .set({ state: TaskState.PAUSED, next_fire_at: null, time_cron: "0 9 15W * *", paused_reason: REASON })
    .where("id", "=", Number(taskId))
    .execute();
  await s.session(
    "paused-reason",
    1280,
    async ({ page, shot }) => {
      const alert = page.getByRole("alert", { name: "Why the task is paused" });
      await alert.waitFor();
      assert.equal(await alert.innerText(), `Needs a new schedule: ${REASON}. Edit it to give it one.`);
      assert.equal(await page.getByRole("button", { name: "Resume" }).count(), 0);
      assert.equal(await page.getByRole("button", { name: "Trigger now" }).count(), 0);
      await page.getByRole("link", { name: "Edit" }).waitFor();
      await shot("task");
      await page.goto(s.base() + "#/tasks");
      await page.getByRole("region", { name: "Tasks" }).getByText("needs a new schedule").waitFor();
    },
    { hash: `#/tasks/${taskId}` },
  );
});
