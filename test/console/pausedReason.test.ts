import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { clients } from "../support/api.js";
import { launchBrowser, openConsole, unexpectedErrors } from "../support/browser.js";
import { startTestNode, type TestNode } from "../support/node.js";

// A task the upgrade from easytask (Go) kept paused (its cron has no
// equivalent here) says why in the console, which offers no Resume for it.

let node: TestNode;
let browser: Browser;
const REASON = 'its time_cron "0 9 15W * *" from easytask (Go) cannot be kept: its day-of-month "15w" (the weekday nearest a day) has no equivalent in easytask';

before(async () => {
  node = await startTestNode("sqlite");
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node.stop();
});

test("the task page and the task list show why a task is paused", async () => {
  const api = clients(node.port);
  await api.registry.addTaskServer({ name: "legacy", schema: "http", host: "127.0.0.1", port: 9 });
  const { taskId } = await api.tasks.addTask({ name: "weekday-report", srvName: "legacy", schedMode: SchedMode.CRON, timeCron: "0 0 9 15 * *" });
  // As the upgrade leaves it.
  await node.store.kysely
    .updateTable("task")
    .set({ state: TaskState.PAUSED, next_fire_at: null, time_cron: "0 9 15W * *", paused_reason: REASON })
    .where("id", "=", Number(taskId))
    .execute();
  const c = await openConsole(browser, `http://127.0.0.1:${node.port}/console/#/tasks/${taskId}`, { prefix: "paused-reason" });
  try {
    const alert = c.page.getByRole("alert", { name: "Why the task is paused" });
    await alert.waitFor();
    assert.equal(await alert.innerText(), `Needs a new schedule: ${REASON}. Edit it to give it one.`);
    assert.equal(await c.page.getByRole("button", { name: "Resume" }).count(), 0);
    assert.equal(await c.page.getByRole("button", { name: "Trigger now" }).count(), 0);
    await c.page.getByRole("link", { name: "Edit" }).waitFor();
    await c.shot("task");
    await c.page.goto(`http://127.0.0.1:${node.port}/console/#/tasks`);
    await c.page.getByRole("region", { name: "Tasks" }).getByText("needs a new schedule").waitFor();
    assert.deepEqual(unexpectedErrors(c.errors), []);
  } finally {
    await c.close();
  }
});
