import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

// Debian's chromium, driven by playwright-core (no browser is downloaded).
export const CHROMIUM = process.env.EASYTASK_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = fileURLToPath(new URL("../../../test-results/console/", import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export interface ConsolePage {
  page: Page;
  // Console errors and uncaught exceptions seen so far.
  errors: string[];
  // Saves a screenshot of the page as it is now, under test-results/console.
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

// A fresh browser context (own storage) on the console at baseUrl. Errors
// the page logs are collected; a test expecting a refusal (HTTP 4xx logged
// by the browser as a failed resource) names its status in `expectedStatuses`.
// The browser's zone in every console test: away from UTC (and off the
// whole hour), so a time shown in the wrong zone cannot pass for a right one.
export const BROWSER_ZONE = "Asia/Kolkata";

// `token`: kept in the browser's storage before the console loads, as if
// typed into its prompt earlier. `fakeClock`: the page's timers and clock
// run only when the test moves them (page.clock).
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  opts: { width?: number; height?: number; prefix: string; timezoneId?: string; token?: string; fakeClock?: boolean },
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, timezoneId: opts.timezoneId ?? BROWSER_ZONE });
  if (opts.token) await context.addInitScript((t) => localStorage.getItem("easytask.token") ?? localStorage.setItem("easytask.token", t), opts.token);
  const page = await context.newPage();
  if (opts.fakeClock) await page.clock.install();
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
  mkdirSync(SCREENSHOTS, { recursive: true });
  let n = 0;
  await page.goto(baseUrl);
  return {
    page,
    errors,
    async shot(name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${opts.prefix}-${String(++n).padStart(2, "0")}-${name}.png`), fullPage: true });
    },
    close: () => context.close(),
  };
}

// The errors other than the browser's own line for an HTTP status the test
// provoked on purpose (e.g. 400 for a refused form).
export function unexpectedErrors(errors: string[], expectedStatuses: number[] = []): string[] {
  return errors.filter((e) => !expectedStatuses.some((s) => e.includes(`Failed to load resource: the server responded with a status of ${s}`)));
}
