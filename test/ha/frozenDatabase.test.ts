import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { clients, postDocumented, readyz } from "../support/api.js";
import { startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";
import { callbacksOf, doubles } from "./runs.js";

// mysql.query_timeout_sec of the node under test.
const QUERY_TIMEOUT_SEC = 1;
// A request to a node that waits forever on its database never answers;
// one that is bounded answers after about the query timeout. This only
// tells the two apart: it is not the assertion of a speed.
const NEVER_MS = 15_000;
const answered = () => ({ signal: AbortSignal.timeout(NEVER_MS) });

// A MariaDB that accepts connections but answers nothing (SIGSTOP) under a
// real node process: requests end as unavailable, the scheduler carries on
// when it answers again, and SIGTERM still ends the node.
describe("a hung MySQL (SIGSTOP) with mysql.query_timeout_sec", { skip: process.env.EASYTASK_TEST_MYSQL_URL ? "needs a private MariaDB" : false }, () => {
  let mariadb: PrivateMariaDb;
  let node: NodeProcess;
  const worker = new FakeTaskServer();
  const dir = mkdtempSync(join(tmpdir(), "easytask-frozen-"));
  const tasks = (path: string) => callbacksOf(worker.tasks(path));

  before(async () => {
    [mariadb] = await Promise.all([startMariaDb({ database: "easytask_frozen" }), worker.start()]);
    const conf = join(dir, "conf.json");
    writeFileSync(conf, JSON.stringify({ mysql: { dsn: mariadb.url, query_timeout_sec: QUERY_TIMEOUT_SEC }, api_server: { http: { host: "127.0.0.1", port: 0 } } }));
    node = await startNodeProcess(["-c", conf]);
    const added = await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port });
    assert.equal(added.json.code, 0, added.json.msg);
  });

  after(async () => {
    mariadb?.thaw();
    if (node && node.proc.exitCode === null && node.proc.signalCode === null) await node.stop("SIGKILL");
    await worker.stop();
    await mariadb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("requests answer unavailable, and the runs due meanwhile fire once it answers again", async () => {
    const steady = await postDocumented(node.port, "/add_task", { name: "steady", srv_name: "w", callback_path: "/steady", sched_mode: 3, time_interval_sec: 1 });
    assert.equal(steady.json.code, 0, steady.json.msg);
    // Due while the database is frozen below.
    const dueAt = Math.ceil(Date.now() / 1000) + 2;
    const once = await postDocumented(node.port, "/add_task", { name: "once", srv_name: "w", callback_path: "/once", sched_mode: 2, time_spec_at: dueAt });
    assert.equal(once.json.code, 0, once.json.msg);
    await waitFor("two runs of the steady task", () => tasks("/steady").length, (n) => n >= 2);

    mariadb.freeze();
    try {
      const api = clients(node.port);
      await assert.rejects(api.tasks.getTask({ taskId: 1n }, answered()), (err) => ConnectError.from(err).code === Code.Unavailable);
      await assert.rejects(api.registry.listTaskServers({}, answered()), (err) => ConnectError.from(err).code === Code.Unavailable);
      const refused = await fetch(`http://127.0.0.1:${node.port}/add_task`, {
        method: "POST",
        body: JSON.stringify({ name: "during", srv_name: "w", callback_path: "/during", sched_mode: 3, time_interval_sec: 1 }),
        ...answered(),
      });
      const envelope = (await refused.json()) as { code: number; msg: string };
      assert.equal(envelope.code, 10004, envelope.msg);
      const ready = await readyz(node.port);
      assert.equal(ready.status, 503);
      assert.match(ready.body.reason, /database unavailable/);
      assert.equal((await fetch(`http://127.0.0.1:${node.port}/healthz`)).status, 200, "the process is alive");
      // Past the one-shot's due time, with the scheduler's claims timing out.
      await sleep(Math.max(0, dueAt * 1000 + 2000 - Date.now()));
      assert.deepEqual(tasks("/once"), [], "nothing can be claimed while the database does not answer");
    } finally {
      mariadb.thaw();
    }
    const thawedAt = Date.now();
    await waitFor("the one-shot run", () => tasks("/once").length, (n) => n === 1);
    await waitFor("the steady task going on", () => tasks("/steady").filter((c) => c.at > thawedAt).length, (n) => n >= 3);
    assert.equal(tasks("/once").length, 1, "the run due during the freeze fired once");
    assert.deepEqual(doubles(tasks("/steady")), []);
    assert.equal((await readyz(node.port)).status, 200);
  });

  test("SIGTERM ends the node while the database hangs", async () => {
    mariadb.freeze();
    try {
      const hung = new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), NEVER_MS * 4).unref());
      const exited = await Promise.race([node.stop("SIGTERM"), hung]);
      assert.notEqual(exited, "still running");
      assert.equal((exited as { code: number | null }).code, 0, (exited as { stderr: string }).stderr);
    } finally {
      mariadb.thaw();
    }
  });
});
