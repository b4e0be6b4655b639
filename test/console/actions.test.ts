import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Page } from "playwright-core";
import { AlertDelivery } from "../../gen/easytask/v1/cluster_pb.js";
import { RunState, SchedMode, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { openConsole, unexpectedErrors } from "../support/browser.js";
import { consoleSuite } from "../support/consoleSuite.js";
import { DIALECTS, stopSharedMariaDb } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// What users of XXL-JOB, Sidekiq and Hangfire reach for, through the
// console alone: run again, run once with another argument, clone, bulk
// actions, a task's history, error search, live updates, alerts, read-only
// access and the audit log. Every flow runs at 1280 px on both databases
// and at 375 px on SQLite, in a browser in Asia/Kolkata.

const ADMIN = "console-admin-token-0123";
const VIEWER = "console-viewer-token-0123";
const HOOK = "/alerts";
const rowsOf = (page: Page, table: string) => page.getByRole("region", { name: table }).locator("tbody tr:not(.detail-row)");
const status = (page: Page, text: string | RegExp) => page.getByRole("status").getByText(text).waitFor();
const taskIdOf = async (page: Page) => {
  await page.waitForURL(/#\/tasks\/\d+$/);
  return BigInt(/#\/tasks\/(\d+)$/.exec(page.url())![1]);
};

for (const dialect of DIALECTS) {
  describe(`operator actions in the console on ${dialect}`, () => {
    const hooks = new FakeTaskServer();
    before(() => hooks.start());
    after(() => hooks.stop());
    const s = consoleSuite(dialect, {
      token: ADMIN,
      taskServer: "jobs",
      overrides: () => ({
        auth: { tokens: [{ name: "ops", token: ADMIN, role: "admin" }, { name: "dashboards", token: VIEWER, role: "viewer" }], protectHealth: false, protectMetrics: false },
        alerts: { webhookUrl: `http://127.0.0.1:${hooks.port}${HOOK}`, failingRunsInARow: 2, webhookTimeoutSec: 5 },
      }),
    });
    const widths = dialect === "sqlite" ? [1280, 375] : [1280];

    for (const width of widths) {
      test(`at ${width} px: run a failed run again, run once with another argument while paused, clone a task`, async () => {
        const path = `/report-${width}`;
        s.worker.answer(path, { status: 500, body: "down" });
        const { taskId } = await s.api.tasks.addTask({ name: `report-${width}`, srvName: "jobs", callbackPath: path, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600, arg: '{"team":7}' });
        await s.session("actions", width, async ({ page, shot }) => {
          await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks/${taskId}`);
          await page.getByRole("button", { name: "Trigger now" }).click();
          await status(page, "Triggered.");
          await waitFor("the failure", async () => (await s.api.tasks.listTaskLogs({ taskId })).taskLogs[0]?.state, (s) => s === RunState.FAILED);
          await page.getByRole("button", { name: "Run 1", exact: true }).click();
          const detail = page.getByRole("region", { name: "Run 1 attempt 1" });
          await detail.getByText("failed", { exact: true }).waitFor();
          s.worker.answer(path, { body: { is_success: true } });
          await detail.getByRole("button", { name: "Run again" }).click();
          await detail.getByRole("status").getByText("Attempt 2 of run 1 started.").waitFor();
          await waitFor("attempt 2 called back", () => s.worker.tasks(path), (r) => r.some((x) => x.body.attempt === 2 && x.body.run_times === 1));
          await waitFor("attempt 2 listed", () => rowsOf(page, "Runs").first().innerText(), (t) => /Run 1\s+2\s+manual\s+succeeded/.test(t));
          await shot("ran-again");

          await page.getByRole("button", { name: "Pause", exact: true }).click();
          await status(page, "Paused.");
          await page.getByText("Paused: it fires again after Resume.").waitFor();
          await page.getByRole("button", { name: "Run once with…" }).click();
          const arg = page.getByLabel("Argument for this run only");
          assert.equal(await arg.inputValue(), '{"team":7}', "the task's argument to start with");
          assert.equal(await page.evaluate(() => document.activeElement?.id), "run-once-arg", "the focus goes to it");
          await arg.fill('{"team":8,"once":true}');
          await shot("run-once");
          await page.getByRole("button", { name: "Run once", exact: true }).click();
          await status(page, "Run 2 started with its own argument.");
          await waitFor("the run with its own argument", () => s.worker.tasks(path).filter((r) => r.body.run_times === 2), (r) => r.length === 1);
          assert.equal(s.worker.tasks(path).find((r) => r.body.run_times === 2)!.body.arg, '{"team":8,"once":true}');
          const task = (await s.api.tasks.getTask({ taskId })).task!;
          assert.deepEqual([task.state, task.arg], [TaskState.PAUSED, '{"team":7}'], "still paused, its own argument kept");
          await page.getByRole("button", { name: "Run 2", exact: true }).click();
          const once = page.getByRole("region", { name: "Run 2 attempt 1" });
          await once.getByText('{"team":8,"once":true}').waitFor();
          await once.getByText("(this run only)").waitFor();

          await page.getByRole("link", { name: "Clone" }).click();
          await page.getByRole("heading", { name: "New task, a clone" }).waitFor();
          assert.equal(await page.getByLabel("Name", { exact: true }).inputValue(), `report-${width} copy`);
          assert.equal(await page.getByLabel("Callback path").inputValue(), path);
          await page.getByRole("button", { name: "Create task" }).click();
          const clone = (await s.api.tasks.getTask({ taskId: await taskIdOf(page) })).task!;
          assert.deepEqual([clone.name, clone.srvName, clone.callbackPath, clone.timeIntervalSec, clone.arg, clone.state], [`report-${width} copy`, "jobs", path, 3600, '{"team":7}', TaskState.SCHEDULED]);
          await status(page, "Created.");
        });
      });

      test(`at ${width} px: bulk actions on the ticked tasks and on every task matching the filter`, async () => {
        const prefix = `bulk${width}-`;
        const ids: bigint[] = [];
        for (const n of ["a", "b", "c", "d"]) ids.push((await s.api.tasks.addTask({ name: prefix + n, srvName: "jobs", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId);
        const states = () => Promise.all(ids.map(async (taskId) => (await s.api.tasks.getTask({ taskId })).task!.state));
        const { SCHEDULED: S, PAUSED: P, STOPPED: X } = TaskState;
        await s.session("bulk", width, async ({ page, shot }) => {
          await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks`);
          await page.getByLabel("Search name or biz_id").fill(prefix);
          await waitFor("the four tasks", () => rowsOf(page, "Tasks").count(), (n) => n === 4);
          await page.getByLabel(`Select task ${prefix}a`).check();
          await page.getByLabel(`Select task ${prefix}c`).check();
          const bulk = page.getByRole("group", { name: "Bulk actions" });
          await bulk.getByText("2 tasks selected").waitFor();
          await shot("selected");
          await bulk.getByRole("button", { name: "Pause" }).click();
          await status(page, "Paused 2 tasks.");
          assert.deepEqual(await states(), [P, S, P, S]);

          await page.getByLabel("Select every task on this page").check();
          await bulk.getByRole("button", { name: "Select every task matching the filter" }).click();
          await bulk.getByText("Every task matching the filter is selected").waitFor();
          let asked = "";
          page.once("dialog", (d) => {
            asked = d.message();
            void d.accept();
          });
          await bulk.getByRole("button", { name: "Resume" }).click();
          await status(page, "Resumed 2 tasks; 2 tasks left as they were.");
          assert.equal(asked, "Resume every task matching the filter?");
          assert.deepEqual(await states(), [S, S, S, S]);

          await page.getByLabel(`Select task ${prefix}b`).check();
          page.once("dialog", (d) => void d.accept());
          await bulk.getByRole("button", { name: "Stop" }).click();
          await status(page, "Stopped 1 task.");
          assert.deepEqual(await states(), [S, X, S, S]);

          await page.getByLabel("Select every task on this page").check();
          await bulk.getByRole("button", { name: "Select every task matching the filter" }).click();
          page.once("dialog", (d) => void d.accept());
          await bulk.getByRole("button", { name: "Delete" }).click();
          await status(page, "Deleted 4 tasks.");
          await page.getByText("No tasks match the filter.").waitFor();
          assert.equal((await s.api.tasks.listTasks({ query: prefix })).tasks.length, 0);
          await shot("deleted");
        });
      });

      test(`at ${width} px: a task's history chart, runs found by error text, relative times, updates that can be paused, Reconnecting when out of reach`, async () => {
        const path = `/history-${width}`;
        s.worker.answer(path, { body: { is_success: true } });
        const { taskId } = await s.api.tasks.addTask({ name: `history-${width}`, srvName: "jobs", callbackPath: path, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
        const trigger = async (n: number) => {
          for (let i = 0; i < n; i++) await s.api.tasks.triggerTask({ taskId });
        };
        await trigger(3);
        await waitFor("3 runs", async () => (await s.api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length === 3 && l.every((r) => r.state === RunState.SUCCEEDED));
        s.worker.answer(path, { status: 502, body: "bad gateway" });
        await trigger(1);
        await waitFor("a failure", async () => (await s.api.tasks.listTaskLogs({ taskId })).taskLogs[0].state, (s) => s === RunState.FAILED);

        await s.session(
          "history",
          width,
          async ({ page, shot, errors }) => {
            const polls = () => requests.filter((u) => u.endsWith("/ListTaskLogs")).length;
            const requests: string[] = [];
            page.on("request", (r) => requests.push(r.url()));
            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks/${taskId}`);
            const history = page.getByRole("region", { name: "History" });
            const chart = history.getByRole("group");
            await chart.waitFor();
            await chart.focus();
            await waitFor("the current hour's values", () => history.locator(".readout").innerText(), (t) => /GMT\+5:30: 3 succeeded, 1 failed or timed out, 0 other; took \d+ ms on average, at most \d+ ms$/.test(t));
            await history.getByLabel("Period").selectOption({ label: "last hour, per minute" });
            await history.getByText("Runs per minute").waitFor();
            await shot("history");

            // Relative times move with the clock; updates can be paused.
            const started = page.getByRole("region", { name: "Runs" }).locator("tbody tr").first().locator("time");
            await waitFor("a relative time", () => started.innerText(), (t) => /GMT\+5:30 \((now|\d+ s ago)\)$/.test(t));
            await page.clock.runFor(125_000);
            await waitFor("two minutes later", () => started.innerText(), (t) => / \(2 min ago\)$/.test(t));
            await page.getByText("Live", { exact: true }).waitFor();
            const before = polls();
            await page.clock.runFor(2_100);
            await waitFor("a refresh", polls, (n) => n > before);
            await page.getByRole("button", { name: "Pause updates" }).click();
            await page.getByRole("status").getByText("Paused", { exact: true }).waitFor();
            const paused = polls();
            await page.clock.runFor(20_000);
            // A round trip, so the events of requests already sent have come in.
            await page.evaluate(() => 0);
            assert.equal(polls(), paused, "no refresh while paused");
            await shot("paused");
            await page.getByRole("button", { name: "Resume updates" }).click();
            await waitFor("a refresh at once on resuming", polls, (n) => n > paused);
            await page.getByText("Live", { exact: true }).waitFor();

            // The server out of reach: the header says so, and Live again once it answers.
            await page.route("**/easytask.v1.**", (route) => route.abort());
            await page.clock.runFor(2_100);
            await page.getByText("Reconnecting", { exact: true }).waitFor();
            await page.unroute("**/easytask.v1.**");
            await page.clock.runFor(2_100);
            await page.getByText("Live", { exact: true }).waitFor();
            // The browser's own lines for the requests cut on purpose.
            errors.splice(0, errors.length, ...errors.filter((e) => !e.includes("net::ERR_FAILED")));

            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/runs?task_id=${taskId}`);
            await page.getByLabel("Error contains").fill("HTTP 50");
            await waitFor("the failed run only", () => rowsOf(page, "Runs").allInnerTexts(), (rows) => rows.length === 1 && rows[0].includes("task server answered HTTP 502"));
            await shot("error-search");
          },
          { fakeClock: true },
        );
      });

      test(`at ${width} px: a viewer token's console shows no actions; the audit log shows who changed what`, async () => {
        s.worker.answer(`/audited-${width}`, { status: 500, body: "" });
        const { taskId } = await s.api.tasks.addTask({ name: `audited-${width}`, srvName: "jobs", callbackPath: `/audited-${width}`, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
        await s.api.tasks.triggerTask({ taskId });
        await waitFor("a failed run", async () => (await s.api.tasks.listTaskLogs({ taskId })).taskLogs[0]?.state, (s) => s === RunState.FAILED);
        await s.session("admin-audit", width, async ({ page, shot }) => {
          await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks/${taskId}`);
          await page.getByRole("button", { name: "Pause", exact: true }).click();
          await status(page, "Paused.");
          await page.getByRole("link", { name: "Changes to this task" }).click();
          await page.getByRole("heading", { name: "Audit log" }).waitFor();
          assert.equal(await page.getByLabel("About").inputValue(), `task:${taskId}`);
          await waitFor("the task's changes", () => rowsOf(page, "Audit log").allInnerTexts(), (rows) => rows.length === 3 && /ops\s+PauseTask\s+\(connect\)/.test(rows[0]) && /TriggerTask/.test(rows[1]) && /AddTask/.test(rows[2]));
          await shot("audit");
        });
        await s.session(
          "viewer",
          width,
          async ({ page, shot }) => {
            await page.getByText("Read-only: dashboards").waitFor();
            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks/${taskId}`);
            await page.getByRole("heading", { name: `audited-${width}` }).waitFor();
            await page.getByRole("region", { name: "History" }).waitFor();
            assert.equal(await page.getByRole("group", { name: "Task actions" }).count(), 0);
            // A failed run, which an admin may run again: no Run again for a viewer.
            await page.getByRole("button", { name: "Run 1", exact: true }).click();
            const detail = page.getByRole("region", { name: "Run 1 attempt 1" });
            await detail.getByText("failed", { exact: true }).waitFor();
            assert.equal(await detail.getByRole("button", { name: /Run again|Kill/ }).count(), 0);
            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks`);
            await rowsOf(page, "Tasks").first().waitFor();
            assert.equal(await page.getByRole("link", { name: "New task" }).count(), 0);
            assert.equal(await page.getByRole("checkbox").count(), 0);
            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/servers`);
            await page.getByRole("region", { name: "Task server jobs" }).waitFor();
            assert.equal(await page.getByRole("button", { name: /Delete|Remove|Add route/ }).count(), 0);
            assert.equal(await page.getByRole("form", { name: "Add a route" }).count(), 0);
            await page.goto(`http://127.0.0.1:${s.node.port}/console/#/audit`);
            await rowsOf(page, "Audit log").first().waitFor();
            await shot("viewer");
          },
          { token: VIEWER },
        );
      });
    }

    test("a task failing runs in a row and an evicted route show as alerts on the overview, as posted to the webhook", async () => {
      hooks.answer(HOOK, { body: { ok: true } });
      const dying = await new FakeTaskServer().start();
      await s.api.registry.addTaskServer({ name: "fading", schema: "http", host: "127.0.0.1", port: dying.port, isEnableHealthCheck: true });
      await dying.stop();
      s.worker.answer("/alerting", { status: 500, body: "" });
      const { taskId } = await s.api.tasks.addTask({ name: "alerting", srvName: "jobs", callbackPath: "/alerting", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 });
      for (let i = 1; i <= 2; i++) {
        await s.api.tasks.triggerTask({ taskId });
        await waitFor(`run ${i}`, async () => (await s.api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length === i && l[0].state === RunState.FAILED);
      }
      await waitFor("the posts", () => hooks.tasks(HOOK), (p) => p.length === 2);
      await waitFor("their delivery recorded", async () => (await s.api.cluster.listAlerts({})).alerts, (a) => a.length === 2 && a.every((x) => x.delivery === AlertDelivery.SENT));
      const posted = (kind: string) => hooks.tasks(HOOK).map((r) => r.body as { text: string; alert: { kind: string } }).find((b) => b.alert.kind === kind)!.text;
      for (const width of widths) {
        await s.session("alerts", width, async ({ page, shot }) => {
          const alerts = page.getByRole("region", { name: "Alerts" });
          await alerts.getByText(`Raised when a task fails 2 runs in a row or a route is evicted; posted to the webhook at 127.0.0.1:${hooks.port}.`).waitFor();
          const item = alerts.getByRole("listitem").filter({ hasText: "alerting" });
          await item.getByText("sent", { exact: true }).waitFor();
          assert.match(await item.innerText(), /GMT\+5:30 .*sent\s+easytask: task "alerting" \(id \d+, task server jobs\) failed 2 runs in a row; the last: task server answered HTTP 500/);
          assert.equal(posted("task_failing"), await item.getByRole("link").innerText());
          const eviction = alerts.getByRole("listitem").filter({ hasText: "task server fading" });
          assert.match(await eviction.innerText(), new RegExp(`GMT\\+5:30 .*sent\\s+easytask: route http://127\\.0\\.0\\.1:${dying.port} of task server fading was evicted after 3 failed heartbeats`));
          assert.equal(posted("route_evicted"), await eviction.getByRole("link").innerText());
          assert.ok(!(await page.locator("main").innerText()).includes(HOOK), "the webhook's URL is not shown");
          await shot("overview");
        });
      }
    });
  });
}

// The task page at a glance, as the README shows it (docs/console.png is
// copied from this screenshot): the schedule in its zone, the history, an
// open failed run that can be run again.
describe("the task page at a glance (sqlite)", () => {
  const s = consoleSuite("sqlite", { taskServer: "reports" });

  test("a cron task in Asia/Shanghai with its history and a failed run open", async () => {
    const { api, worker } = s;
    worker.answer("/jobs/daily", { body: { is_success: true, extra: "12 reports sent" }, delayMs: 40 });
    const { taskId } = await api.tasks.addTask({ name: "daily-report", bizId: "team-7", srvName: "reports", callbackPath: "/jobs/daily", schedMode: SchedMode.CRON, timeCron: "0 30 6 * * *", timeZone: "Asia/Shanghai", arg: '{"team":7}' });
    for (let i = 0; i < 5; i++) await api.tasks.triggerTask({ taskId });
    await waitFor("5 runs", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs, (l) => l.length === 5 && l.every((r) => r.state === RunState.SUCCEEDED));
    worker.answer("/jobs/daily", { status: 503, body: "mail server unavailable" });
    await api.tasks.triggerTask({ taskId });
    await waitFor("a failure", async () => (await api.tasks.listTaskLogs({ taskId })).taskLogs[0].state, (s) => s === RunState.FAILED);
    const c = await openConsole(s.browser, `http://127.0.0.1:${s.node.port}/console/#/tasks/${taskId}`, { prefix: "task-page", width: 1280, height: 1000 });
    try {
      const { page } = c;
      assert.equal(await page.locator(".schedule").innerText(), "At 06:30 (Asia/Shanghai)");
      await waitFor("fire times in Kolkata and Shanghai", () => page.getByRole("list", { name: "Next fire times" }).locator("li").first().innerText(), (t) => /04:00:00 GMT\+5:30 \(in .+\) = .* 06:30:00 GMT\+8$/.test(t));
      const history = page.getByRole("region", { name: "History" });
      await history.getByRole("group").focus();
      await waitFor("the hour's counts", () => history.locator(".readout").innerText(), (t) => t.includes("5 succeeded, 1 failed or timed out"));
      await page.getByRole("button", { name: "Run 6", exact: true }).click();
      await page.getByRole("region", { name: "Run 6 attempt 1" }).getByRole("button", { name: "Run again" }).waitFor();
      await c.shot("glance");
      assert.deepEqual(unexpectedErrors(c.errors), []);
    } finally {
      await c.close();
    }
  });
});
