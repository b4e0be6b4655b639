import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Page } from "playwright-core";
import { RunState, SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { consoleSuite } from "../support/consoleSuite.js";
import { DIALECTS, stopSharedMariaDb } from "../support/node.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";

after(stopSharedMariaDb);

// What trips an operator who keeps the console open, in a browser whose
// zone is Asia/Kolkata (UTC+5:30, no daylight saving), at a desktop and a
// phone width.

const WIDTHS = [1280, 375];
const KOLKATA_MS = 5.5 * 3_600_000;
// YYYY-MM-DD HH:MM:SS in Asia/Kolkata, as the console prints it.
const kolkata = (ms: number) => new Date(ms + KOLKATA_MS).toISOString().slice(0, 19).replace("T", " ");
const rowsOf = (page: Page, table: string) => page.getByRole("region", { name: table }).locator("tbody tr");

describe("a first visit (sqlite): an empty server says how to start", () => {
  const s = consoleSuite("sqlite");

  for (const width of WIDTHS) {
    test(`at ${width} px: the task list and the form lead to the task servers page; the chart says it has no runs`, async () => {
      await s.session("first-visit", width, async ({ page, shot }) => {
        await page.getByText("No runs in the last hour.").waitFor();
        await page.getByRole("link", { name: "Tasks", exact: true }).click();
        await page.getByText("No tasks yet.").waitFor();
        assert.equal(await page.getByText("No tasks match").count(), 0);
        assert.equal(await page.getByRole("region", { name: "Tasks" }).count(), 0, "no empty table");
        await shot("tasks");
        await page.getByRole("link", { name: "add a route on the Task servers page" }).click();
        await page.getByRole("heading", { name: "Task servers" }).waitFor();

        await page.goto(`http://127.0.0.1:${s.node.port}/console/#/tasks/new`);
        const select = page.getByLabel("Task server");
        await select.locator("option", { hasText: "none registered yet" }).waitFor({ state: "attached" });
        await shot("form");
        await page.getByRole("link", { name: "add a route on the Task servers page" }).click();
        await page.getByRole("form", { name: "Add a route" }).waitFor();
      });
    });
  }
});

describe("times, pages and messages (sqlite)", () => {
  const s = consoleSuite("sqlite");
  let cronTask: bigint;
  let busyTask: bigint;

  before(async () => {
    await s.api.registry.addTaskServer({ name: "workers", schema: "http", host: "127.0.0.1", port: s.worker.port, isEnableHealthCheck: true });
    s.worker.answer("/busy", { body: { is_success: false, extra: "no luck" } });
    cronTask = (await s.api.tasks.addTask({ name: "six-utc", srvName: "workers", callbackPath: "/six", schedMode: SchedMode.CRON, timeCron: "0 0 6 * * *" })).taskId;
    busyTask = (await s.api.tasks.addTask({ name: "busy", srvName: "workers", callbackPath: "/busy", schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId;
    for (let i = 0; i < 14; i++) await s.api.tasks.triggerTask({ taskId: busyTask });
    await waitFor("14 runs done", async () => (await s.api.tasks.listTaskLogs({ taskId: busyTask })).taskLogs, (l) => l.length === 14 && l.every((r) => r.state === RunState.FAILED));
  });

  for (const width of WIDTHS) {
    test(`at ${width} px every time names its zone; the zone is chosen (browser, UTC, the task's) and remembered; a cron schedule's words and its fire times agree`, async () => {
      await s.session("zones", width, async ({ page, shot }) => {
        const times = () => page.getByRole("list", { name: "Next fire times" }).locator("li").allInnerTexts();
        await page.goto(s.base() + `#/tasks/${cronTask}`);
        assert.equal(await page.locator(".schedule").innerText(), "At 06:00 (UTC)");
        await waitFor("the fire times", times, (t) => t.length === 5);
        // Shown in the browser's zone by default, each with its zone, and the
        // same moment in the schedule's own zone, where its words are.
        for (const t of await times()) assert.match(t, /^\d{4}-\d\d-\d\d 11:30:00 GMT\+5:30 \(in .+\) = \d{4}-\d\d-\d\d 06:00:00 UTC$/);
        await shot("browser-zone");

        await page.getByLabel("Times in").selectOption("utc");
        await waitFor("UTC times", times, (t) => t.every((x) => /^\d{4}-\d\d-\d\d 06:00:00 UTC \(in .+\)$/.test(x)));
        await page.reload();
        assert.equal(await page.getByLabel("Times in").inputValue(), "utc", "the choice is remembered");
        await waitFor("UTC times after a reload", times, (t) => t.length === 5 && t.every((x) => x.includes("06:00:00 UTC")));
        await page.getByLabel("Times in").selectOption("task");
        await waitFor("the task's zone (UTC)", times, (t) => t.length === 5 && t.every((x) => x.includes("06:00:00 UTC")));
        await page.getByLabel("Times in").selectOption("browser");

        // The form's preview: the words in the typed zone, the times in the chosen one.
        await page.goto(s.base() + "#/tasks/new");
        await page.getByLabel("Schedule", { exact: true }).selectOption({ label: "cron" });
        await page.getByLabel("Cron expression").fill("0 0 6 * * *");
        const preview = page.getByRole("complementary", { name: "Schedule preview" });
        await preview.getByText("At 06:00 (UTC)").waitFor();
        await waitFor("the preview's times", () => preview.locator("li").allInnerTexts(), (t) => t.length === 5 && t.every((x) => /11:30:00 GMT\+5:30 = .* 06:00:00 UTC$/.test(x)));
        await page.getByLabel("Time zone").fill("America/New_York");
        await preview.getByText("At 06:00 (America/New_York)").waitFor();
        await waitFor("New York's 06:00 in Kolkata", () => preview.locator("li").allInnerTexts(), (t) => t.length === 5 && t.every((x) => / 06:00:00 E[SD]T$/.test(x)));
        await shot("preview");

        // No time anywhere without its zone.
        for (const hash of ["#/", "#/tasks", `#/tasks/${busyTask}`, "#/runs", "#/servers"]) {
          await page.goto(s.base() + hash);
          await waitFor(`${hash} to show times`, () => page.locator("time").count(), (n) => n > 0);
          const unnamed = await page.locator("time").evaluateAll((els) => els.filter((e) => !e.querySelector(".zone")?.textContent).length);
          assert.equal(unnamed, 0, `${hash}: every time names its zone`);
        }
      });
    });
  }

  for (const width of WIDTHS) {
    test(`at ${width} px a run's details open in place (task page, runs page), in view and with the keyboard focus; Close returns it`, async () => {
      await s.session("run-details", width, async ({ page, shot }) => {
        for (const hash of [`#/tasks/${busyTask}`, `#/runs?task_id=${busyTask}`]) {
          await page.goto(s.base() + hash);
          const oldest = page.getByRole("button", { name: "Run 1", exact: true });
          await oldest.click();
          const detail = page.getByRole("region", { name: "Run 1 attempt 1" });
          await detail.waitFor();
          const box = (await detail.boundingBox())!;
          const viewport = page.viewportSize()!;
          assert.ok(box.y >= 0 && box.y < viewport.height, `the details start on the screen (at ${box.y} px of ${viewport.height})`);
          assert.equal(await detail.evaluate((d) => d.contains(document.activeElement)), true, "the focus is in the details");
          // Right under its row.
          const rowBottom = (await oldest.locator("xpath=ancestor::tr").boundingBox())!;
          assert.ok(box.y >= rowBottom.y + rowBottom.height - 1 && box.y - (rowBottom.y + rowBottom.height) < 40);
          await shot(hash.startsWith("#/runs") ? "open-runs" : "open-task");
          await detail.getByRole("button", { name: "Close" }).click();
          await detail.waitFor({ state: "detached" });
          assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Run 1");
        }
      });
    });
  }

  for (const width of WIDTHS) {
    test(`at ${width} px messages speak of the form's fields in plain words; a bad cron is not described as itself; run errors read as words`, async () => {
      await s.session(
        "messages",
        width,
        async ({ page, shot }) => {
          await page.goto(s.base() + "#/tasks/new");
          await page.getByLabel("Name", { exact: true }).fill("plain-words");
          await page.getByRole("button", { name: "Create task" }).click();
          await page.locator("#f-srv_name-error").waitFor();
          assert.equal(await page.locator("#f-srv_name-error").innerText(), "Task server is required.");

          await page.getByLabel("Task server").selectOption("workers");
          await page.getByLabel("Interval (seconds)").fill("0");
          await page.getByRole("button", { name: "Create task" }).click();
          await page.locator("#f-time_interval_sec-error").waitFor();
          assert.equal(await page.locator("#f-time_interval_sec-error").innerText(), "Interval (seconds) is required.");
          await shot("interval");

          await page.getByLabel("Schedule", { exact: true }).selectOption({ label: "once, at a time" });
          const preview = page.getByRole("complementary", { name: "Schedule preview" });
          await preview.getByText("Enter the time to fire at to see them here.").waitFor();
          await page.getByLabel("Fire at").fill("tomorrow");
          await page.getByText("Not a time: write it as YYYY-MM-DD HH:MM:SS").waitFor();
          const inAnHour = Date.now() + 3_600_000;
          await page.getByLabel("Fire at").fill(kolkata(inAnHour));
          await waitFor("the one fire time", () => preview.locator("li").allInnerTexts(), (t) => t.join() === `${kolkata(inAnHour)} GMT+5:30`);

          await page.getByLabel("Schedule", { exact: true }).selectOption({ label: "cron" });
          await page.getByLabel("Cron expression").fill("61 * * * *");
          await preview.getByText(/^Cron expression: /).waitFor();
          assert.equal(await preview.getByText("61 * * * *", { exact: true }).count(), 0, "the expression is not shown as its own description");
          await shot("bad-cron");
          const text = await page.locator("main").innerText();
          for (const apiWord of ["srv_name", "time_interval_sec", "sched_mode", "time_spec_at", "time_cron", "unix seconds"]) assert.ok(!text.includes(apiWord), apiWord);
        },
        { expectedStatuses: [400] },
      );
    });
  }

  for (const width of WIDTHS) {
    test(`at ${width} px fields line up, the state sits by the name, the time zone field shows no made-up value, no table scrolls sideways`, async () => {
      await s.session("layout", width, async ({ page, shot }) => {
        await page.goto(s.base() + "#/tasks/new");
        const policies = page.getByRole("group", { name: "Policies" });
        await policies.locator("select").first().waitFor();
        const fields = await policies.locator(".field").evaluateAll((els) =>
          els.map((f) => {
            const control = f.querySelector("input, select")!.getBoundingClientRect();
            const label = f.querySelector("label")!;
            return { row: Math.round(f.getBoundingClientRect().top), top: control.top, height: control.height, labelLines: label.getBoundingClientRect().height / parseFloat(getComputedStyle(label).lineHeight) };
          }),
        );
        for (const f of fields) {
          assert.ok(f.labelLines < 1.5, `a label wraps: ${JSON.stringify(f)}`);
          const row = fields.filter((g) => g.row === f.row);
          assert.deepEqual(new Set(row.map((g) => g.top)).size, 1, `controls of a row line up: ${JSON.stringify(fields)}`);
          assert.deepEqual(new Set(row.map((g) => g.height)).size, 1, `controls of a row are as high: ${JSON.stringify(row)}`);
        }
        await page.getByLabel("Schedule", { exact: true }).selectOption({ label: "cron" });
        const zone = page.getByLabel("Time zone");
        assert.equal(await zone.getAttribute("placeholder"), null);
        assert.match(await page.locator("#f-time_zone-hint").innerText(), /^Empty means UTC/);
        await shot("form");

        await page.goto(s.base() + `#/tasks/${cronTask}`);
        const name = (await page.getByRole("heading", { name: "six-utc" }).boundingBox())!;
        const badge = (await page.locator(".title-row .badge").boundingBox())!;
        assert.ok(badge.x - (name.x + name.width) < 30, `the state badge is ${badge.x - (name.x + name.width)} px from the name`);

        await page.goto(s.base());
        const members = page.getByRole("region", { name: "Members" });
        await members.locator("tbody tr").first().waitFor();
        const { scroll, client } = await members.evaluate((m) => ({ scroll: m.scrollWidth, client: m.clientWidth }));
        assert.ok(scroll <= client, `the Members table scrolls sideways: ${scroll} > ${client}`);
        await shot("overview");
      });
    });
  }

  for (const width of WIDTHS) {
    test(`at ${width} px the overview chart has a time axis in the chosen zone, value axes, and the values of the bar pointed at or reached by the keyboard`, async () => {
      await s.session("chart", width, async ({ page, shot }) => {
        const chart = page.getByRole("figure");
        await chart.getByText("Runs per minute, last hour").waitFor();
        assert.match(await chart.locator("figcaption").innerText(), /from \d{4}-\d\d-\d\d \d\d:\d\d:00 to \d{4}-\d\d-\d\d \d\d:\d\d:00 GMT\+5:30$/);
        const ticks = await chart.locator(".x-axis span").allInnerTexts();
        assert.equal(ticks.length, 3);
        for (const t of ticks) assert.match(t, /^\d\d:\d\d$/);
        const minuteNow = kolkata(Date.now()).slice(11, 16);
        assert.ok(ticks[2] >= minuteNow || minuteNow === "00:00", `the axis ends now (${ticks[2]}, ${minuteNow})`);
        assert.deepEqual((await chart.locator(".y-axis.left span").allInnerTexts()).at(-1), "0");

        const plot = chart.getByRole("group");
        const box = (await plot.boundingBox())!;
        await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
        const readout = chart.locator(".readout");
        const stats = await s.api.tasks.getStats({});
        const last = stats.minutes.at(-1)!;
        await waitFor("the last minute's values", () => readout.innerText(), (t) => t.startsWith(`${kolkata(timestampMs(last.minute!))} GMT+5:30: `) && /\d+ runs?, \d+ failed or timed out; lateness p99 \d+ ms$/.test(t));
        assert.match(await readout.innerText(), new RegExp(`: ${last.fires} runs?, ${last.failures} failed`));
        await shot("hover");

        await plot.focus();
        await page.keyboard.press("ArrowLeft");
        const before = stats.minutes.at(-2)!;
        await waitFor("the minute before", () => readout.innerText(), (t) => t.startsWith(`${kolkata(timestampMs(before.minute!))} GMT+5:30: `));
        await page.keyboard.press("Home");
        await waitFor("the first minute", () => readout.innerText(), (t) => t.startsWith(`${kolkata(timestampMs(stats.minutes[0].minute!))} GMT+5:30: `));
      });
    });
  }

  for (const width of WIDTHS) {
    test(`at ${width} px Create, Save and Delete say they were done; start-time filters take YYYY-MM-DD HH:MM:SS in the chosen zone`, async () => {
      await s.session("confirmations", width, async ({ page, shot }) => {
        await page.goto(s.base() + "#/tasks/new");
        await page.getByLabel("Name", { exact: true }).fill("to-delete");
        await page.getByLabel("Task server").selectOption("workers");
        await page.getByRole("button", { name: "Create task" }).click();
        await page.getByRole("status").getByText("Created.").waitFor();
        await page.getByRole("link", { name: "Edit" }).click();
        await page.getByLabel("Interval (seconds)").fill("120");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByRole("status").getByText("Saved.").waitFor();
        page.once("dialog", (d) => d.accept());
        await page.getByRole("button", { name: "Delete" }).click();
        await page.getByRole("heading", { name: "Tasks" }).waitFor();
        await page.getByRole("status").getByText("Deleted task to-delete.").waitFor();
        await shot("deleted");

        const runs = (await s.api.tasks.listTaskLogs({ taskId: busyTask })).taskLogs;
        const started = runs.map((r) => timestampMs(r.startedAt!));
        // The start of a run shown in Kolkata: from it, that run is in; a second later, out.
        const pivot = started[Math.floor(started.length / 2)];
        const atOrAfter = (ms: number) => started.filter((s) => s >= ms).length;
        await page.goto(s.base() + `#/runs?task_id=${busyTask}`);
        const from = page.getByLabel("Started from");
        assert.equal(await from.getAttribute("type"), null, "a text field, not the browser's date picker");
        await from.fill(kolkata(Math.floor(pivot / 1000) * 1000));
        await waitFor("runs from the pivot", () => rowsOf(page, "Runs").count(), (n) => n === atOrAfter(Math.floor(pivot / 1000) * 1000));
        await from.fill(kolkata(Math.floor(pivot / 1000) * 1000 + 1000));
        await waitFor("runs a second after", () => rowsOf(page, "Runs").count(), (n) => n === atOrAfter(Math.floor(pivot / 1000) * 1000 + 1000) || (n === 0 && atOrAfter(Math.floor(pivot / 1000) * 1000 + 1000) === 0));
        await from.fill("last tuesday");
        await page.getByText("Not a time: YYYY-MM-DD HH:MM:SS, GMT+5:30").waitFor();
        assert.equal(await from.getAttribute("aria-invalid"), "true");
        await shot("filters");
      }, { expectedStatuses: [404] });
    });
  }
});

for (const dialect of DIALECTS) {
  describe(`task servers page on ${dialect}`, () => {
    const s = consoleSuite(dialect);

    test("counts routes in words, shows no empty table, dismisses an eviction as a dismissal, deletes a task server once no task uses it", async () => {
      const dying = await new FakeTaskServer().start();
      const tasks = new Map<number, bigint>();
      for (const width of WIDTHS) {
        await s.api.registry.addTaskServer({ name: `solo-${width}`, schema: "http", host: "127.0.0.1", port: s.worker.port });
        await s.api.registry.addTaskServer({ name: `fading-${width}`, schema: "http", host: "127.0.0.1", port: dying.port, isEnableHealthCheck: true });
        tasks.set(width, (await s.api.tasks.addTask({ name: `keeps-solo-${width}`, srvName: `solo-${width}`, schedMode: SchedMode.INTERVAL, timeIntervalSec: 3600 })).taskId);
      }
      await dying.stop();
      const names = async () => (await s.api.registry.listTaskServers({})).taskServers.map((s) => s.name).sort();
      await waitFor("the evictions", async () => (await s.api.registry.listTaskServers({})).taskServers.filter((s) => s.evictedRoutes.length === 1).length, (n) => n === WIDTHS.length);
      for (const width of WIDTHS) {
        const [solo, fading] = [`solo-${width}`, `fading-${width}`];
        await s.session("servers", width, async ({ page, shot }) => {
          const soloRegion = page.getByRole("region", { name: `Task server ${solo}`, exact: true });
          await soloRegion.getByRole("heading", { name: new RegExp(`${solo} 1 route$`) }).waitFor();
          const fadingRegion = page.getByRole("region", { name: `Task server ${fading}`, exact: true });
          await fadingRegion.getByRole("heading", { name: new RegExp(`${fading} 0 routes`) }).waitFor();
          await shot("listed");

          const dismiss = fadingRegion.getByRole("button", { name: `Dismiss the eviction of http://127.0.0.1:${dying.port} from ${fading}` });
          assert.equal(await dismiss.innerText(), "Dismiss");
          let asked = "";
          page.once("dialog", (d) => {
            asked = d.message();
            void d.accept();
          });
          await dismiss.click();
          await fadingRegion.getByText("No routes.").waitFor();
          assert.match(asked, /^Dismiss the eviction of /);
          assert.equal(await fadingRegion.getByRole("region").count(), 0, "no table header above No routes.");
          await page.getByRole("status").getByText(`Dismissed the eviction of http://127.0.0.1:${dying.port}.`).waitFor();

          page.once("dialog", (d) => d.accept());
          await soloRegion.getByRole("button", { name: "Delete task server" }).click();
          await page.getByRole("alert").getByText(`Task server ${solo} is used by 1 task: delete it first.`).waitFor();
          await shot("refused");
          assert.ok((await names()).includes(solo));

          await s.api.tasks.deleteTask({ taskId: tasks.get(width)! });
          page.once("dialog", (d) => d.accept());
          await soloRegion.getByRole("button", { name: "Delete task server" }).click();
          await page.getByRole("status").getByText(`Deleted task server ${solo}.`).waitFor();
          await soloRegion.waitFor({ state: "detached" });
          assert.ok(!(await names()).includes(solo));
          await shot("deleted");
        }, { hash: "#/servers", expectedStatuses: [400] });
      }
      assert.deepEqual(await names(), WIDTHS.map((w) => `fading-${w}`).sort());
    });
  });
}
