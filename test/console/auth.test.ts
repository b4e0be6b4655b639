import assert from "node:assert/strict";
import { test } from "node:test";
import { openConsole, unexpectedErrors } from "../support/browser.js";
import { consoleSuite } from "../support/consoleSuite.js";

// With auth.tokens configured the console asks for a token, keeps it in the
// browser and sends it on every call.

const TOKEN = "console-token-0123456789";
const s = consoleSuite("sqlite", { token: TOKEN, taskServer: "guarded", overrides: () => ({ auth: { tokens: [TOKEN], protectHealth: false, protectMetrics: false } }) });

for (const width of [1280, 375]) {
  test(`at ${width} px the token prompt is centred and keeps the keyboard; a refused token is not kept, and it says so`, async () => {
    const c = await openConsole(s.browser, `http://127.0.0.1:${s.node.port}/`, { prefix: `auth-prompt-${width}`, width });
    const { page } = c;
    try {
      const dialog = page.getByRole("dialog", { name: "API token needed" });
      await dialog.waitFor();
      const box = (await dialog.boundingBox())!;
      const view = page.viewportSize()!;
      assert.ok(Math.abs(box.x + box.width / 2 - view.width / 2) <= 1, `centred across: ${box.x}+${box.width}/2 of ${view.width}`);
      assert.ok(Math.abs(box.y + box.height / 2 - view.height / 2) <= 1, `centred down: ${box.y}+${box.height}/2 of ${view.height}`);
      await page.getByLabel("API token", { exact: true }).fill("x");
      for (const key of ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab", "Tab"]) {
        await page.keyboard.press(key);
        assert.equal(await dialog.evaluate((d) => d.contains(document.activeElement)), true, `after ${key} the focus is in the prompt`);
      }
      await c.shot("prompt");
      await page.getByRole("button", { name: "Save token" }).click();
      await dialog.getByText("The server refused that token, so it was not kept. Enter another one.").waitFor();
      assert.equal(await page.evaluate(() => localStorage.getItem("easytask.token")), null, "the refused token is not kept");
      assert.equal(await page.getByRole("button", { name: "Forget token" }).count(), 0);
      await c.shot("refused");
      assert.deepEqual(unexpectedErrors(c.errors, [401]), []);
    } finally {
      await c.close();
    }
  });
}

test("the console asks for the API token, then sends the right one on every call", async () => {
  const c = await openConsole(s.browser, `http://127.0.0.1:${s.node.port}/`, { prefix: "auth" });
  const { page } = c;
  const sent: (string | undefined)[] = [];
  page.on("request", (r) => r.url().includes("/easytask.v1.") && sent.push(r.headers()["authorization"]));
  try {
    const field = page.getByLabel("API token", { exact: true });
    await field.waitFor();
    await page.getByRole("dialog", { name: "API token needed" }).waitFor();
    await page.getByText("This server asks for an API token.").waitFor();
    await c.shot("asked");

    await page.getByLabel("API token", { exact: true }).fill(TOKEN);
    await page.getByRole("button", { name: "Save token" }).click();
    await page.getByText("Task servers / routes").waitFor();
    assert.equal(await page.getByRole("dialog").count(), 0);
    assert.equal(await page.evaluate(() => localStorage.getItem("easytask.token")), TOKEN);

    // Kept across loads, and sent on every call from then on.
    sent.length = 0;
    await page.goto(`http://127.0.0.1:${s.node.port}/console/#/servers`);
    await page.getByRole("region", { name: "Task server guarded" }).waitFor();
    await c.shot("servers");
    assert.ok(sent.length > 0);
    assert.deepEqual(new Set(sent), new Set([`Bearer ${TOKEN}`]));
    assert.equal(await page.getByRole("dialog").count(), 0);

    await page.getByRole("button", { name: "Forget token" }).click();
    await page.getByLabel("API token", { exact: true }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("easytask.token")), null);
    assert.deepEqual(unexpectedErrors(c.errors, [401]), []);
  } finally {
    await c.close();
  }
});
