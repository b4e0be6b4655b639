import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { RunState, TaskState, type Task } from "../../gen/easytask/v1/task_pb.js";
import { startMariaDb, type PrivateMariaDb } from "../harness/mariadb.js";
import { clients } from "../support/api.js";
import { createGoDatabase, GO_KINDS, insertGoDataset, kindOf, runShapeOf } from "../support/goDatabase.js";
import { startNodeProcess } from "../support/processNode.js";

// 10,000 tasks of every kind the original holds (intervals, one-shots
// pending and done, crons of 5, 6 and 7 fields, with years, names, macros,
// ones with no equivalent, soft-deleted and exhausted tasks, latin1 text, a
// missing task server) with 3 runs each, migrated by a node's first start.

const TASKS = 10_000;
const RUNS = 3;
let mariadb: PrivateMariaDb;
const dir = mkdtempSync(join(tmpdir(), "easytask-upgrade-set-"));

before(async () => {
  mariadb = await startMariaDb();
});
after(async () => {
  await mariadb.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("10,000 tasks of every kind become the tasks they were, with their history", async () => {
  const { conn } = await createGoDatabase(mariadb.url, "go_set", { rows: false });
  const now = Math.floor(Date.now() / 1000);
  await insertGoDataset(conn, { tasks: TASKS, runsPerTask: RUNS, now });
  const conf = join(dir, "conf.json");
  const dsn = `root:@tcp(127.0.0.1:${mariadb.port})/go_set?charset=utf8mb4&parseTime=True&loc=Local`;
  // Heartbeats are left out: the generated routes lead nowhere.
  writeFileSync(conf, JSON.stringify({ mysql: { dsn }, easytask_go: { time_zone: "UTC" }, health_check_interval_sec: 3600, log: { level: "info" }, api_server: { http: { host: "127.0.0.1", port: 0 } } }));
  const node = await startNodeProcess(["-c", conf]);
  try {
    const api = clients(node.port);
    const tasks: Task[] = [];
    for (let pageToken = ""; ; ) {
      const page = await api.tasks.listTasks({ pageSize: 1000, pageToken });
      tasks.push(...page.tasks);
      if (!(pageToken = page.nextPageToken)) break;
    }
    assert.deepEqual(
      tasks.map((t) => Number(t.taskId)),
      Array.from({ length: TASKS }, (_, i) => i + 1),
      "every task, with its id",
    );
    const states = new Map<string, number>();
    for (const t of tasks) {
      const id = Number(t.taskId);
      const kind = kindOf(id);
      const what = `task ${id} (${kind.name})`;
      assert.equal(TaskState[t.state], kind.state, what);
      assert.equal(t.name, `${kind.name}-${id}`, what);
      assert.equal(t.bizId, `biz-${id}`, what);
      assert.equal(t.arg, kind.name === "latin1-arg" ? `café ü € ${id}` : `arg-${id}`, what);
      assert.equal(t.pausedReason !== "", kind.state === "PAUSED", what);
      if (kind.sameAs && kind.state === "SCHEDULED") {
        assert.equal(t.timeCron, kind.sameAs, what);
        assert.equal(t.timeZone, "UTC", what);
        assert.equal(timestampMs(t.nextFireAt!), kind.task(id, now).plan_sched_next_at! * 1000, `${what}: the original's next due time`);
      }
      if (kind.name === "cron-6-years") {
        assert.deepEqual([t.startAt, t.endAt], [BigInt(Date.UTC(2090, 0, 1) / 1000), BigInt(Date.UTC(2094, 0, 1) / 1000 - 1)], what);
      }
      if (kind.name === "server-missing") assert.equal(t.srvName, "easytask-go-missing-server", what);
      states.set(kind.name, (states.get(kind.name) ?? 0) + 1);
    }
    assert.equal(states.size, GO_KINDS.length, "every kind is there");

    // The original's runs keep their ids; runs fired since come after them.
    const expected: Record<string, number> = {};
    for (let id = 1; id <= TASKS; id++) for (let r = 1; r <= RUNS; r++) expected[runShapeOf(id, r).state] = (expected[runShapeOf(id, r).state] ?? 0) + 1;
    const [rows] = await conn.query("SELECT state, COUNT(*) AS n FROM task_log WHERE id <= ? GROUP BY state", [TASKS * RUNS]);
    assert.deepEqual(Object.fromEntries((rows as { state: number; n: number }[]).map((r) => [RunState[r.state], Number(r.n)])), expected);

    const { taskServers } = await api.registry.listTaskServers({});
    assert.equal(taskServers.filter((s) => s.name.startsWith("srv-")).length, TASKS / 100);
    assert.ok(taskServers.every((s) => s.routes.length === (s.name.startsWith("srv-") ? 1 : 0)), "the removed routes stay behind");
  } finally {
    await node.stop();
    await conn.end();
  }
});
