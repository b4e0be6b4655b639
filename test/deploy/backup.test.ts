import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { findExecutable } from "../harness/processes.js";
import { run, transcript, type Ran } from "../sdk/support.js";
import { postDocumented } from "../support/api.js";
import { startNodeProcess, type NodeProcess } from "../support/processNode.js";
import { FakeTaskServer } from "../support/taskServer.js";
import { waitFor } from "../support/waitFor.js";
import { docBlock } from "./docBlocks.js";

// docs/DEPLOYMENT.md's backups, taken from a live node, and its restores: a
// node on the restored data has the tasks and their runs, and calls them
// back again. On MariaDB, with the user and grants the guide creates.

const work = mkdtempSync(join(tmpdir(), "easytask-backup-"));
const worker = new FakeTaskServer();
const TASKS = ["a", "b", "c"];

before(() => worker.start());
after(async () => {
  await worker.stop();
  rmSync(work, { recursive: true, force: true });
});

async function ok(ran: Promise<Ran>, what: string): Promise<string> {
  const done = await ran;
  assert.equal(done.code, 0, transcript(what, done));
  return done.stdout;
}

const nodeEnv = (store: Record<string, string>) => ({ ...store, EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1", EASYTASK_API_SERVER__HTTP__PORT: "0" });

// Three tasks every second on the live node, until each has run twice.
async function scheduleTasks(node: NodeProcess, path: string): Promise<string[]> {
  assert.equal((await postDocumented(node.port, "/add_task_server", { name: "w", schema: "http", host: "127.0.0.1", port: worker.port })).json.code, 0);
  const ids: string[] = [];
  for (const name of TASKS) {
    const res = await postDocumented(node.port, "/add_task", { name, srv_name: "w", callback_path: path, sched_mode: 3, time_interval_sec: 1 });
    assert.equal(res.json.code, 0, res.json.msg);
    ids.push((res.json.data as { task_id: string }).task_id);
  }
  await waitFor("two runs of every task", () => worker.tasks(path), (r) => TASKS.every((name) => r.filter((c) => c.body.task_name === name).length >= 2));
  return ids;
}

async function connect<T>(port: number, method: string, body: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}/easytask.v1.${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, method);
  return (await res.json()) as T;
}

// The restored node knows every task and its earlier runs, and runs them on.
async function checkRestored(node: NodeProcess, ids: string[], path: string): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const { task } = await connect<{ task: { name: string; run_times: number } }>(node.port, "TaskService/GetTask", { task_id: id });
    assert.equal(task.name, TASKS[i]);
    assert.ok(task.run_times >= 2, `task ${id} ran twice before the backup`);
    const { task_logs } = await connect<{ task_logs: unknown[] }>(node.port, "TaskService/ListTaskLogs", { task_id: id });
    assert.ok(task_logs.length >= 2, `the runs of task ${id} are restored`);
  }
  const before = worker.tasks(path).length;
  await waitFor("callbacks from the restored node", () => worker.tasks(path).length, (n) => n >= before + TASKS.length);
}

describe("backup and restore", () => {
  test("SQLite: sqlite3 .backup of a live node's file, restored, serves the same tasks", async () => {
    const sqlite3 = findExecutable(["sqlite3"], "install sqlite3");
    const live = join(work, "live", "easytask.db");
    const node = await startNodeProcess([], nodeEnv({ EASYTASK_SQLITE__PATH: live }));
    let ids: string[];
    const backup = join(work, "easytask-backup.db");
    try {
      ids = await scheduleTasks(node, "/sqlite");
      // While it runs and writes, as the guide says.
      await ok(run(sqlite3, [live, `.backup '${backup}'`]), "sqlite3 .backup");
      assert.equal((await ok(run(sqlite3, [backup, "PRAGMA integrity_check"]), "integrity_check")).trim(), "ok");
    } finally {
      assert.equal((await node.stop()).code, 0);
    }
    const restored = join(work, "restored", "easytask.db");
    mkdirSync(join(work, "restored"));
    copyFileSync(backup, restored);
    const again = await startNodeProcess([], nodeEnv({ EASYTASK_SQLITE__PATH: restored }));
    try {
      await checkRestored(again, ids, "/sqlite");
    } finally {
      assert.equal((await again.stop()).code, 0);
    }
  });

  test("MariaDB: mariadb-dump of a live node's database, restored on a fresh server, serves the same tasks", async () => {
    const client = findExecutable(["mariadb", "mysql"], "install mariadb-client");
    const dump = findExecutable(["mariadb-dump", "mysqldump"], "install mariadb-client");
    const servers: PrivateMariaDb[] = [];
    // The guide's SQL, as root, on a new server.
    const newServer = async (): Promise<PrivateMariaDb> => {
      const server = await startMariaDb({ database: "unused" });
      servers.push(server);
      await ok(run("bash", ["-c", `${client} -h 127.0.0.1 -P ${server.port} -u root <<'SQL'\n${docBlock("mysql-grants")}\nSQL`]), "the grants");
      return server;
    };
    const archive = join(work, "easytask.sql.gz");
    const dsn = (server: PrivateMariaDb) => `easytask:change-me@tcp(127.0.0.1:${server.port})/easytask?charset=utf8mb4&parseTime=True&loc=Local`;
    try {
      const first = await newServer();
      const node = await startNodeProcess([], nodeEnv({ EASYTASK_MYSQL__DSN: dsn(first) }));
      let ids: string[];
      try {
        ids = await scheduleTasks(node, "/mysql");
        // Online, as the easytask user itself.
        await ok(run("bash", ["-o", "pipefail", "-c", `${dump} --single-transaction --no-tablespaces -h 127.0.0.1 -P ${first.port} -u easytask -pchange-me easytask | gzip > ${archive}`]), "mariadb-dump");
      } finally {
        assert.equal((await node.stop()).code, 0);
      }
      const second = await newServer();
      await ok(run("bash", ["-o", "pipefail", "-c", `gunzip < ${archive} | ${client} -h 127.0.0.1 -P ${second.port} -u root easytask`]), "the restore");
      // The narrowed grant: the tables exist, so the node needs only the rows.
      await ok(run("bash", ["-c", `${client} -h 127.0.0.1 -P ${second.port} -u root <<'SQL'\n${docBlock("mysql-steady-grants")}\nSQL`]), "the steady grants");
      const again = await startNodeProcess([], nodeEnv({ EASYTASK_MYSQL__DSN: dsn(second) }));
      try {
        await checkRestored(again, ids, "/mysql");
      } finally {
        assert.equal((await again.stop()).code, 0);
      }
    } finally {
      for (const server of servers) await server.stop();
    }
  });
});
