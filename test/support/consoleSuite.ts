import { after, before } from "node:test";
import type { Browser } from "playwright-core";
import type { Config } from "../../src/config/config.js";
import { clients, type Clients } from "./api.js";
import { launchBrowser } from "./browser.js";
import { startTestNode, type DialectName, type TestNode } from "./node.js";
import { FakeTaskServer } from "./taskServer.js";

export interface ConsoleSuite {
  node: TestNode;
  // Clients of the node's API (with `token`).
  api: Clients;
  browser: Browser;
  // A task server on 127.0.0.1.
  worker: FakeTaskServer;
}

// What a suite of console tests runs against, started before its tests and
// stopped after them: a node (with `overrides`, read when it starts), a
// task server (registered as `taskServer` when named) and a browser.
export function consoleSuite(dialect: DialectName, opts: { overrides?: () => Partial<Config>; token?: string; taskServer?: string } = {}): ConsoleSuite {
  const suite = { worker: new FakeTaskServer() } as ConsoleSuite;
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
