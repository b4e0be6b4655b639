import assert from "node:assert/strict";
import { after, before } from "node:test";
import type { Browser } from "playwright-core";
import type { Config } from "../../src/config/config.js";
import { clients, type Clients } from "./api.js";
import { launchBrowser, openConsole, unexpectedErrors, type ConsolePage } from "./browser.js";
import { startTestNode, type DialectName, type TestNode } from "./node.js";
import { FakeTaskServer } from "./taskServer.js";

export interface SessionOptions {
  // Where the console opens, e.g. "#/servers".
  hash?: string;
  // Instead of the suite's token.
  token?: string;
  fakeClock?: boolean;
  // HTTP statuses the session provokes on purpose (the browser logs them).
  expectedStatuses?: number[];
}

export interface ConsoleSuite {
  node: TestNode;
  // Clients of the node's API (with `token`).
  api: Clients;
  browser: Browser;
  // A task server on 127.0.0.1.
  worker: FakeTaskServer;
  // The console's address on the node.
  base(): string;
  // Runs `fn` on the console in a fresh browser context `width` px wide,
  // holding the suite's token; then no error may have been logged but the
  // statuses expected. A failure leaves a screenshot.
  session(prefix: string, width: number, fn: (c: ConsolePage) => Promise<void>, opts?: SessionOptions): Promise<void>;
}

// What a suite of console tests runs against, started before its tests and
// stopped after them: a node (with `overrides`, read when it starts), a
// task server (registered as `taskServer` when named) and a browser.
export function consoleSuite(dialect: DialectName, opts: { overrides?: () => Partial<Config>; token?: string; taskServer?: string } = {}): ConsoleSuite {
  const suite: ConsoleSuite = {
    worker: new FakeTaskServer(),
    base: () => `http://127.0.0.1:${suite.node.port}/console/`,
    async session(prefix, width, fn, o = {}) {
      const c = await openConsole(suite.browser, suite.base() + (o.hash ?? ""), { prefix: `${dialect}-${prefix}-${width}`, width, token: o.token ?? opts.token, fakeClock: o.fakeClock });
      try {
        await fn(c);
        assert.deepEqual(unexpectedErrors(c.errors, o.expectedStatuses), []);
      } catch (err) {
        await c.shot("failure");
        throw err;
      } finally {
        await c.close();
      }
    },
  } as ConsoleSuite;
  before(async () => {
    await suite.worker.start();
    suite.node = await startTestNode(dialect, opts.overrides?.());
    suite.api = clients(suite.node.port, "connect-json", opts.token);
    if (opts.taskServer) await suite.api.registry.addTaskServer({ name: opts.taskServer, schema: "http", host: "127.0.0.1", port: suite.worker.port });
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.node?.stop();
    await suite.worker.stop();
  });
  return suite;
}
