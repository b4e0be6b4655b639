import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { openConsole, unexpectedErrors } from "../support/browser.js";
import { consoleSuite } from "../support/consoleSuite.js";
import { DIALECTS, stopSharedMariaDb } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// The web console in a real headless Chromium against a real node and real
// task servers: what an operator does, through the page only.

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const rowsOf = (page: Page, table: string) => page.getByRole("region", { name: table }).locator("tbody tr");

async function taskIdOf(page: Page): Promise<bigint> {
  await page.waitForURL(/#\/tasks\/\d+$/);
  return BigInt(/#\/tasks\/(\d+)$/.exec(page.url())![1]);
}

for (const dialect of DIALECTS) {
  describe(`web console on ${dialect}`, () => {
    const s = consoleSuite(dialect, { taskServer: "reports" });

    test("create an interval task in the form, watch its runs, pause it, edit it, trigger it, read a run's answer", async () => {
      s.worker.answer("/jobs/console", { body: { is_success: true, extra: "console-answer-42" } });
      const c = await openConsole(s.browser, `http://127.0.0.1:${s.node.port}/`, { prefix: `${dialect}-main` });
      const { page } = c;
      try {
        assert.match(page.url(), /\/console\/$/, "/ redirects to the console");
        await page.getByRole("heading", { name: "Overview" }).waitFor();
        await page.getByText("Task servers / routes").waitFor();
        await c.shot("overview");

        await page.getByRole("link", { name: "Tasks", exact: true }).click();
        await page.getByRole("link", { name: "New task" }).click();
        await page.getByLabel("Name", { exact: true }).fill("console-report");
        await page.getByLabel("biz_id").fill("team-7");
        await page.getByLabel("Task server").selectOption("reports");
        await page.getByLabel("Callback path").fill("/jobs/console");
        await page.getByLabel("Interval (seconds)").fill("1");
        await page.getByLabel("Argument (sent as is)").fill('{"team":7}');
        await page.locator(".preview li").nth(4).waitFor();
        await c.shot("new-task");
        await page.getByRole("button", { name: "Create task" }).click();
        const taskId = await taskIdOf(page);
        const stored = (await s.api.tasks.getTask({ taskId })).task!;
        assert.deepEqual([stored.name, stored.bizId, stored.srvName, stored.schedMode, stored.timeIntervalSec, stored.arg], ["console-report", "team-7", "reports", SchedMode.INTERVAL, 1, '{"team":7}']);
        assert.match(await text(page, ".schedule"), /every second/);

        // Runs appear without a reload (the page polls).
        await waitFor("three runs on the page", () => rowsOf(page, "Runs").count(), (n) => n >= 3);
        assert.ok(s.worker.tasks("/jobs/console").length >= 3);
        await c.shot("task-running");

        await page.getByRole("button", { name: "Pause", exact: true }).click();
        await page.getByRole("status").getByText("Paused.").waitFor();
        assert.equal((await s.api.tasks.getTask({ taskId })).task!.state, TaskState.PAUSED);
        await page.getByText("Paused: it fires again after Resume.").waitFor();
        const firedBefore = s.worker.tasks("/jobs/console").length;
        await sleep(2500);
        assert.equal(s.worker.tasks("/jobs/console").length, firedBefore, "a paused task fires no more");
        await c.shot("task-paused");

        // Edit: an hour between runs; saving schedules it again.
        await page.getByRole("link", { name: "Edit" }).click();
        await page.getByRole("heading", { name: "Edit console-report" }).waitFor();
        assert.equal(await page.getByLabel("Name", { exact: true }).getAttribute("readonly"), "");
        await page.getByLabel("Interval (seconds)").fill("3600");
        await c.shot("edit-task");
        await page.getByRole("button", { name: "Save" }).click();
        assert.equal(await taskIdOf(page), taskId, "an edit keeps the task id");
        await waitFor("the edit", async () => (await s.api.tasks.getTask({ taskId })).task!, (t) => t.timeIntervalSec === 3600 && t.state === TaskState.SCHEDULED);
        assert.match(await text(page, ".schedule"), /every hour/);

        const runsBefore = (await s.api.tasks.getTask({ taskId })).task!.runTimes;
        const calledBefore = s.worker.tasks("/jobs/console").length;
        await page.getByRole("button", { name: "Trigger now" }).click();
        await page.getByRole("status").getByText("Triggered.").waitFor();
        const triggered = runsBefore + 1;
        await page.getByRole("button", { name: `Run ${triggered}`, exact: true }).waitFor();
        await waitFor("the triggered callback", () => s.worker.tasks("/jobs/console").length, (n) => n === calledBefore + 1);
        assert.equal(s.worker.tasks("/jobs/console").at(-1)!.body.run_times, triggered);

        await waitFor("the run to succeed", async () => (await s.api.tasks.listTaskLogs({ taskId, pageSize: 1 })).taskLogs[0].state, (s) => s === RunState.SUCCEEDED);
        await page.getByRole("button", { name: `Run ${triggered}`, exact: true }).click();
        const detail = page.getByRole("region", { name: `Run ${triggered} attempt 1` });
        await detail.getByText("console-answer-42", { exact: false }).first().waitFor();
        assert.equal(await detail.locator("pre.answer").first().innerText(), JSON.stringify({ is_success: true, extra: "console-answer-42" }));
        await detail.getByText("succeeded", { exact: true }).waitFor();
        await c.shot("run-detail");

        await page.getByRole("link", { name: "Tasks", exact: true }).click();
        await page.getByLabel("Search name or biz_id").fill("TEAM-7");
        await waitFor("the search", () => rowsOf(page, "Tasks").allInnerTexts(), (rows) => rows.length === 1 && rows[0].includes("console-report"));
        await c.shot("tasks-search");
        assert.deepEqual(unexpectedErrors(c.errors), []);
      } finally {
        await c.close();
      }
    });
  });
}

describe("web console pages (sqlite)", () => {
  const s = consoleSuite("sqlite", { taskServer: "workers" });

  test("a refused task shows the server's message at the field, and nothing is created", async () => {
    await s.session(
      "validation",
      1280,
      async ({ page, shot }) => {
        await page.goto(s.base() + "#/tasks/new");
        await page.getByLabel("Name", { exact: true }).fill("bad-cron");
        await page.getByLabel("Task server").selectOption("workers");
        await page.getByLabel("Schedule", { exact: true }).selectOption({ label: "cron" });
        await page.getByLabel("Cron expression").fill("61 * * * *");
        await page.getByRole("button", { name: "Create task" }).click();
        const cron = page.getByLabel("Cron expression");
        await page.locator("#f-time_cron-error").waitFor();
        assert.match(await text(page, "#f-time_cron-error"), /61/);
        assert.equal(await cron.getAttribute("aria-invalid"), "true");
        assert.match((await cron.getAttribute("aria-describedby")) ?? "", /f-time_cron-error/);
        assert.equal(await page.evaluate(() => document.activeElement?.id), "f-time_cron", "the keyboard is taken to the refused field");
        assert.equal(await page.locator(".field-error").count(), 1);
        await shot("cron-refused");
        assert.equal((await s.api.tasks.listTasks({ query: "bad-cron" })).tasks.length, 0);
      },
      { expectedStatuses: [400] },
    );
  });

  test("task servers page: add a route, see its health and an eviction, remove routes", async () => {
    const extra = await new FakeTaskServer().start();
    try {
      await s.session(
        "servers",
        1280,
        async ({ page, shot }) => {
          await page.goto(s.base() + "#/servers");
          const form = page.getByRole("form", { name: "Add a route" });
          await form.getByLabel("Task server name").fill("billing");
          await form.getByLabel("Host").fill("127.0.0.1");
          await form.getByRole("button", { name: "Add route" }).click();
          await page.locator("#f-port-error").waitFor();
          assert.equal(await text(page, "#f-port-error"), "Port is required.");
          await form.getByLabel("Port").fill(String(extra.port));
          await form.getByRole("button", { name: "Add route" }).click();
          const billing = page.getByRole("region", { name: "Task server billing" });
          await billing.getByText("healthy").waitFor();
          const listed = (await s.api.registry.listTaskServers({})).taskServers.find((s) => s.name === "billing")!;
          assert.deepEqual(
            listed.routes.map((r) => [r.host, r.port, r.isEnableHealthCheck]),
            [["127.0.0.1", extra.port, true]],
          );
          await shot("route-added");

          extra.pong = { pong: false };
          await billing.getByRole("cell", { name: "evicted" }).waitFor();
          await page.goto(s.base());
          await page.getByRole("heading", { name: "Evicted routes" }).waitFor();
          assert.match(await page.locator(".attention").innerText(), new RegExp(`billing http://127.0.0.1:${extra.port}`));
          await shot("overview-evicted");

          await page.getByRole("link", { name: "Task servers" }).click();
          page.once("dialog", (d) => d.accept());
          await page.getByRole("button", { name: `Dismiss the eviction of http://127.0.0.1:${extra.port} from billing` }).click();
          await page.getByRole("region", { name: "Task server billing" }).getByText("No routes.").waitFor();
          const after = (await s.api.registry.listTaskServers({})).taskServers.find((s) => s.name === "billing")!;
          assert.deepEqual([after.routes.length, after.evictedRoutes.length], [0, 0]);
          await shot("route-removed");
        },
        { expectedStatuses: [400] },
      );
    } finally {
      await extra.stop();
    }
  });

  test("runs page: every task's runs, filtered by state, task and time; an async run killed from its details", async () => {
    s.worker.answer("/ok", { body: { is_success: true, extra: "fine" } });
    s.worker.answer("/fail", { body: { is_success: false, extra: "broken" } });
    s.worker.answer("/async", { body: { is_run_in_async: true } });
    const add = async (name: string, callbackPath: string) =>
      (await s.api.tasks.addTask({ name, srvName: "workers", callbackPath, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId;
    const ok = await add("runs-ok", "/ok");
    const failing = await add("runs-fail", "/fail");
    const waiting = await add("runs-async", "/async");
    for (const taskId of [ok, failing, ok, waiting]) await s.api.tasks.triggerTask({ taskId });
    await waitFor("four runs done", async () => (await s.api.tasks.listTaskLogs({})).taskLogs, (l) => l.length >= 4 && l.every((r) => r.state !== RunState.PENDING && r.state !== RunState.RUNNING));

    await s.session("runs", 1280, async ({ page, shot }) => {
      await page.goto(s.base() + "#/runs");
      const names = () => rowsOf(page, "Runs").locator("td:first-child").allInnerTexts();
      await waitFor("every run", names, (n) => n.length === 4);
      assert.deepEqual(await names(), ["runs-async", "runs-ok", "runs-fail", "runs-ok"]);
      await shot("all");

      await page.getByLabel("State").selectOption({ label: "failed" });
      await waitFor("the failed run only", names, (n) => n.join() === "runs-fail");
      await shot("failed");
      await page.getByLabel("State").selectOption({ label: "any" });
      await page.getByLabel("Task id").fill(String(ok));
      await waitFor("one task's runs", names, (n) => n.join() === "runs-ok,runs-ok");
      await page.getByLabel("Task id").fill("");
      await page.getByLabel("Started before").fill("2020-01-01 00:00:00");
      await waitFor("no run before 2020", names, (n) => n.length === 0);
      await page.getByText("No runs.").waitFor();
      await page.getByLabel("Started before").fill("");
      await page.getByLabel("Started from").fill("2020-01-01 00:00:00");
      await waitFor("every run since 2020", names, (n) => n.length === 4);

      await page.getByRole("button", { name: "Run 1", exact: true }).first().click();
      const detail = page.getByRole("region", { name: "Run 1 attempt 1" });
      await detail.getByText("async waiting", { exact: true }).waitFor();
      await shot("async-run");
      await detail.getByRole("button", { name: "Kill run 1" }).click();
      await detail.getByText("killed", { exact: true }).waitFor();
      assert.equal(await detail.locator("pre.answer.error").innerText(), "Killed from the console or the API (Kill run).");
      assert.ok(!(await page.locator("main").innerText()).includes("KillRun"), "run errors read as words");
      assert.equal((await s.api.tasks.listTaskLogs({ taskId: waiting })).taskLogs[0].state, RunState.KILLED);
      await shot("killed");
    });
  });

  test("readable at 375 px: no horizontal scrolling of the page", async () => {
    await s.session(
      "narrow",
      375,
      async ({ page, shot }) => {
        for (const hash of ["#/tasks", "#/runs", "#/servers", "#/", "#/tasks/new"]) {
          await page.goto(s.base() + hash);
          await page.locator("h1").waitFor();
          await page.waitForLoadState("networkidle");
          const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
          assert.equal(width, 375);
          assert.ok(scroll <= width, `${hash}: the page is ${scroll} px wide`);
          await shot(hash.replace(/\W+/g, "-") || "overview");
        }
      },
    );
  });

  test("keyboard: the task form is reached, filled and sent with the keyboard alone", async () => {
    await s.session("keyboard", 1280, async ({ page, shot }) => {
      await page.goto(s.base() + "#/tasks/new");
      await page.getByLabel("Name", { exact: true }).focus();
      await page.keyboard.type("typed-task");
      await page.keyboard.press("Tab");
      await page.keyboard.type("kb");
      await page.keyboard.press("Tab");
      await page.keyboard.press("ArrowDown");
      assert.equal(await page.getByLabel("Task server").inputValue(), "workers");
      await shot("form");
      await page.getByRole("button", { name: "Create task" }).focus();
      await page.keyboard.press("Enter");
      const taskId = await taskIdOf(page);
      assert.equal((await s.api.tasks.getTask({ taskId })).task!.name, "typed-task");
      await page.getByRole("heading", { name: "typed-task" }).waitFor();
      await shot("created");
    });
  });
});
