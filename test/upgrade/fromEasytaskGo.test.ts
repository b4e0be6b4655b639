import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnection, type Connection } from "mysql2/promise";
import { RunState, TaskState } from "../../gen/easytask/v1/task_pb.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { clients } from "../support/api.js";
import { createGoDatabase } from "../support/goDatabase.js";
import { runEasytask, startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer, type Received } from "../support/taskServer.js";
import { sleep, waitFor } from "../support/waitFor.js";

// easytask started on a database of the Go original
// (test/fixtures/easytask-go-schema.sql: one task server and route, three
// interval tasks every second that ran 4 times, a one-shot), as its users
// upgrade: same conf.json, same database, the original stopped.

let mariadb: PrivateMariaDb;
const worker = new FakeTaskServer();
const dir = mkdtempSync(join(tmpdir(), "easytask-upgrade-"));
let databases = 0;

before(async () => {
  mariadb = await startMariaDb();
  await worker.start();
});
after(async () => {
  await worker.stop();
  await mariadb.stop();
  rmSync(dir, { recursive: true, force: true });
});

// The fixture in a database of its own, its route pointing at the test's task server.
async function goDatabase(): Promise<{ url: string; conn: Connection; conf: string }> {
  const database = `go_${++databases}`;
  const { url, conn } = await createGoDatabase(mariadb.url, database, { rows: true });
  await conn.query("UPDATE task_callback_srv_route SET port = ?", [worker.port]);
  // The Go original's conf.json, its DSN form included.
  const dsn = `root:@tcp(127.0.0.1:${mariadb.port})/${database}?charset=utf8mb4&parseTime=True&loc=Local`;
  const conf = join(dir, `${database}.json`);
  writeFileSync(
    conf,
    JSON.stringify({
      cluster_name: "easy_task",
      elect_driver: "standalone",
      mysql: { dsn },
      callback_cmd_numbering: "easytask-go",
      easytask_go: { time_zone: "UTC" },
      log: { level: "info" },
      api_server: { http: { host: "127.0.0.1", port: 0 } },
    }),
  );
  return { url, conn, conf };
}

const runsOf = (taskId: string) => worker.tasks().filter((r) => r.body.task_id === taskId);
const runNumbers = (runs: Received[]) => runs.map((r) => r.body.run_times as number);
const logged = (node: NodeProcess, msg: string) => node.lines().filter((l) => l.msg === msg);
const tableNames = async (conn: Connection) => ((await conn.query("SHOW TABLES"))[0] as Record<string, string>[]).map((r) => Object.values(r)[0]!).sort();

describe("a node started on the Go original's database", () => {
  test("carries its tasks on: run numbers continue, the one-shot fires once at its time, ids and history stay", async () => {
    const { conn, conf } = await goDatabase();
    // Pending: the one-shot is due a few seconds after the start.
    const specAt = Math.floor(Date.now() / 1000) + 6;
    await conn.query("UPDATE task SET plan_sched_next_at = ? WHERE id = 4", [specAt]);
    // Text the original stored in its latin1 columns through its utf8mb4 connection.
    await conn.query("UPDATE task SET arg = ? WHERE id = 2", ["iv1 café ü €"]);
    const node = await startNodeProcess(["-c", conf]);
    try {
      assert.equal(logged(node, "migrated from easytask (Go)").length, 1);
      await waitFor("runs 5 to 8 of the three interval tasks", () => ["1", "2", "3"].map((id) => runNumbers(runsOf(id))), (r) => r.every((n) => n.includes(8)));
      for (const id of ["1", "2", "3"]) {
        const numbers = runNumbers(runsOf(id));
        assert.deepEqual(numbers.slice(0, 4), [5, 6, 7, 8], `task ${id} continues from its run_times 4`);
      }
      const [first] = runsOf("2");
      assert.equal(first!.raw, `{"cmd":0,"task_id":"2","task_name":"upgrade_iv_1","arg":"iv1 café ü €","run_times":5,"biz_id":"b"}`);
      const spec = await waitFor("the one-shot", () => runsOf("4"), (r) => r.length > 0);
      assert.ok(spec[0]!.at >= specAt * 1000, "not before its time");
      assert.equal(spec[0]!.body.run_times, 1);

      const api = clients(node.port);
      const { task } = await api.tasks.getTask({ taskId: 1n });
      assert.equal(task!.state, TaskState.SCHEDULED);
      assert.equal(task!.name, "upgrade_iv_0");
      assert.equal(task!.srvName, "upgrade_srv");
      assert.equal(task!.timeIntervalSec, 1);
      assert.ok(task!.runTimes >= 8);
      assert.equal((await api.tasks.getTask({ taskId: 4n })).task!.state, TaskState.FINISHED);
      // The original's run, read from its snapshots (its status was left at "running").
      const { taskLogs } = await api.tasks.listTaskLogs({ taskId: 2n, pageSize: 1000 });
      const imported = taskLogs.find((l) => l.runTimes === 1)!;
      assert.equal(imported.state, RunState.SUCCEEDED);
      assert.equal(imported.route, "http://127.0.0.1:45999");
      assert.equal(imported.response, '{"is_success":true}');
      assert.equal(imported.startedAt?.seconds, 1796214984n);
      const { taskServers } = await api.registry.listTaskServers({});
      assert.deepEqual(
        taskServers.map((s) => [s.name, s.routes.map((r) => `${r.schema}://${r.host}:${r.port}`)]),
        [["upgrade_srv", [`http://127.0.0.1:${worker.port}`]]],
      );
      await sleep(1500);
      assert.equal(runsOf("4").length, 1, "the one-shot fired once");
    } finally {
      assert.equal((await node.stop()).code, 0);
    }

    // Started again: nothing to migrate, the tasks go on from where they were.
    const before = new Map(["1", "2", "3"].map((id) => [id, Math.max(...runNumbers(runsOf(id)))]));
    const again = await startNodeProcess(["-c", conf]);
    try {
      assert.equal(logged(again, "migrated from easytask (Go)").length, 0);
      await waitFor("two more runs of each", () => ["1", "2", "3"].map((id) => Math.max(...runNumbers(runsOf(id))) - before.get(id)!), (d) => d.every((n) => n >= 2));
    } finally {
      await again.stop();
    }
    for (const id of ["1", "2", "3"]) {
      const numbers = runNumbers(runsOf(id));
      assert.equal(new Set(numbers).size, numbers.length, `task ${id}: no run number twice`);
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `task ${id}: run numbers in order`);
      assert.equal(numbers.at(-1)! - numbers[0]! + 1, numbers.length, `task ${id}: none skipped`);
    }
    // The original's tables are kept aside, untouched.
    assert.deepEqual((await conn.query("SELECT id, run_times FROM easytask_go_task ORDER BY id"))[0], [1, 2, 3, 4].map((id) => ({ id, run_times: id === 4 ? 0 : 4 })));
    await conn.end();
  });

  test("two nodes starting at once migrate it once", async () => {
    const { conn, conf } = await goDatabase();
    await conn.query("UPDATE task SET plan_sched_next_at = 0, deleted_at = 1 WHERE id = 4");
    const nodes = await Promise.all([startNodeProcess(["-c", conf]), startNodeProcess(["-c", conf])]);
    try {
      assert.deepEqual(nodes.map((n) => logged(n, "migrated from easytask (Go)").length).sort(), [0, 1]);
      const waited = nodes.find((n) => logged(n, "migrated from easytask (Go)").length === 0)!;
      assert.equal(logged(waited, "another node is migrating this database from easytask (Go); waiting for it to finish").length, 1);
      assert.deepEqual((await conn.query("SELECT COUNT(*) AS n FROM easytask_go_import"))[0], [{ n: 1 }]);
      assert.deepEqual((await conn.query("SELECT id, state FROM task ORDER BY id"))[0], [
        { id: 1, state: TaskState.SCHEDULED },
        { id: 2, state: TaskState.SCHEDULED },
        { id: 3, state: TaskState.SCHEDULED },
        { id: 4, state: TaskState.STOPPED },
      ]);
    } finally {
      for (const node of nodes) await node.stop();
    }
    await conn.end();
  });

  test("refuses while the original still schedules on it, and changes nothing", async () => {
    const { url, conn, conf } = await goDatabase();
    const original = await createConnection(url);
    // What the original's scheduler does every second: claim a due run.
    const claiming = setInterval(() => {
      original.query("UPDATE task SET run_times = run_times + 1, last_run_at = UNIX_TIMESTAMP(), updated_at = UNIX_TIMESTAMP() WHERE id = 1").catch(() => {});
    }, 500);
    let refused;
    try {
      refused = await runEasytask(["-c", conf]);
      const dryRun = await runEasytask(["migrate", "--dry-run", "-c", conf]);
      assert.equal(dryRun.code, 0);
      assert.match(dryRun.stdout, /A start of easytask would be refused now: easytask \(Go\) is still running/);
    } finally {
      clearInterval(claiming);
      await original.end();
    }
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /easytask \(Go\) is still running on database "go_\d+": in 3 s tasks were claimed or changed\. Stop every easytask \(Go\) node \(or at least its scheduler\), then start easytask again\. Nothing was changed\./);
    assert.deepEqual(await tableNames(conn), ["task", "task_callback_srv", "task_callback_srv_route", "task_log"]);
    // Stopped: the next start migrates.
    const node = await startNodeProcess(["-c", conf]);
    await node.stop();
    assert.ok((await tableNames(conn)).includes("easytask_go_task"));
    await conn.end();
  });

  test("a copy that fails leaves no half-migrated database, and the next start completes it", async () => {
    const { conn, conf } = await goDatabase();
    await conn.query("UPDATE task SET callback_path = REPEAT('/x', 1000) WHERE id = 3");
    const failed = await runEasytask(["-c", conf]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /copying the data of easytask \(Go\) failed, so none of it was copied \(Data too long for column 'callback_path'.*\)\. Its tables are kept as they were, as easytask_go_task, .*: remove the cause and start again to copy them/);
    const [[counts]] = (await conn.query("SELECT (SELECT COUNT(*) FROM task) AS tasks, (SELECT COUNT(*) FROM task_server) AS servers, (SELECT COUNT(*) FROM task_log) AS runs, (SELECT COUNT(*) FROM easytask_go_import) AS done")) as unknown as [Record<string, number>[]];
    assert.deepEqual(counts, { tasks: 0, servers: 0, runs: 0, done: 0 });
    assert.match((await runEasytask(["migrate", "--dry-run", "-c", conf])).stdout, /^A migration from easytask \(Go\) was cut short: its tables are renamed aside but not copied/);

    await conn.query("UPDATE easytask_go_task SET callback_path = '/iv' WHERE id = 3");
    const node = await startNodeProcess(["-c", conf]);
    await node.stop();
    assert.equal(logged(node, "completing a migration from easytask (Go) that was cut short").length, 1);
    assert.equal(logged(node, "migrated from easytask (Go)").length, 1);
    assert.deepEqual((await conn.query("SELECT COUNT(*) AS n FROM task"))[0], [{ n: 4 }]);
    await conn.end();
  });
});

describe("easytask migrate", () => {
  test("--dry-run prints what a start would do and changes nothing; without it, migrates", async () => {
    const { conn, conf } = await goDatabase();
    const cronTask = (id: number, expr: string) =>
      conn.query("INSERT INTO task VALUES (?, 1796214983, 1796214983, 0, ?, '', 0, 0, ?, 0, 2, 1, 0, 9223372036854775807, 0, '/cron', '')", [id, `cron-${id}`, expr]);
    await cronTask(5, "0 9 * * 1 *");
    await cronTask(6, "0 9 * * 1 2027,2029");
    const dry = await runEasytask(["migrate", "--dry-run", "-c", conf]);
    assert.equal(dry.code, 0, dry.stderr);
    for (const line of [
      "The database holds the tables of easytask (Go), and nothing in them changed in 3 s.",
      "  1. rename task, task_log, task_callback_srv, task_callback_srv_route to easytask_go_task, easytask_go_task_log, easytask_go_task_callback_srv, easytask_go_task_callback_srv_route, in one RENAME TABLE",
      "     task servers: 1, with their ids",
      "     routes: 1",
      "     tasks: 6, with their ids; by schedule 3 interval, 2 cron, 1 at; to be 5 scheduled, 1 paused",
      "     run history: 3 runs, 3 succeeded",
      '     "0 9 * * 1 *" → "0 0 9 * * 1" (1 task)',
      '     "0 9 * * 1 2027,2029" → kept paused (1 task: 6): its year field "2027,2029" is not one run of years',
      "Nothing was changed.",
    ]) {
      assert.ok(dry.stdout.includes(line), `${line}\n-- not in --\n${dry.stdout}`);
    }
    assert.deepEqual(await tableNames(conn), ["task", "task_callback_srv", "task_callback_srv_route", "task_log"]);

    const done = await runEasytask(["migrate", "-c", conf]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /The database is migrated from easytask \(Go\) \(on .*\): start easytask on it\./);
    const warning = done.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === "warn");
    assert.deepEqual(
      { msg: warning?.msg, time_cron: warning?.time_cron, task_ids: warning?.task_ids },
      { msg: "tasks paused: their cron from easytask (Go) has no equivalent here", time_cron: "0 9 * * 1 2027,2029", task_ids: [6] },
    );
    assert.match((await runEasytask(["migrate", "--dry-run", "-c", conf])).stdout, /^Nothing to migrate: it was migrated from easytask \(Go\) on /);

    // The paused task says why, in the API, and cannot be resumed as it is.
    const node = await startNodeProcess(["-c", conf]);
    try {
      const api = clients(node.port);
      const { task } = await api.tasks.getTask({ taskId: 6n });
      assert.equal(task!.state, TaskState.PAUSED);
      assert.equal(task!.timeCron, "0 9 * * 1 2027,2029");
      assert.match(task!.pausedReason, /^its time_cron "0 9 \* \* 1 2027,2029" from easytask \(Go\) cannot be kept: .*give the task a new schedule with add_task/);
      await assert.rejects(api.tasks.resumeTask({ taskId: 6n }), (err: unknown) => {
        assert.equal(ConnectError.from(err).code, Code.FailedPrecondition);
        assert.match(ConnectError.from(err).rawMessage, /^task 6 cannot be resumed: its time_cron/);
        return true;
      });
      assert.equal((await api.tasks.getTask({ taskId: 5n })).task!.timeCron, "0 0 9 * * 1");
    } finally {
      await node.stop();
    }
    // What the original's gorm AutoMigrate does to easytask's tables if it is started again.
    await conn.query("ALTER TABLE task ADD COLUMN time_cron_expr longtext");
    const refused = await runEasytask(["-c", conf]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /cannot start on this database: table task has the columns of both easytask and easytask \(Go\): easytask \(Go\) was started on this database after it was migrated/);
    await conn.end();
  });
});
