import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { SchedMode } from "../../gen/easytask/v1/task_pb.js";
import { GroupCommit } from "../../src/store/groupCommit.js";
import { openStore } from "../../src/store/openStore.js";
import { findTaskServerId, upsertRoute } from "../../src/store/taskServers.js";
import { upsertTasks, type TaskFields } from "../../src/store/tasks.js";
import { DIALECTS, freshStore, stopSharedMariaDb } from "../support/node.js";

after(stopSharedMariaDb);

const T0 = Date.UTC(2026, 0, 1);

for (const dialect of DIALECTS) {
  describe(`group commit of AddTask on ${dialect}`, () => {
    const setup = async () => {
      const { store: config } = await freshStore(dialect);
      const store = await openStore(config.kind === "sqlite" ? config : { kind: "mysql", url: config.url });
      await upsertRoute(store, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, T0, 256);
      const taskServerId = (await findTaskServerId(store, "w"))!;
      const task = (name: string, bizId = ""): TaskFields => ({
        name,
        biz_id: bizId,
        task_server_id: taskServerId,
        callback_path: "/",
        sched_mode: SchedMode.INTERVAL,
        time_cron: "",
        time_interval_sec: 60,
        time_spec_at: 0,
        arg: name,
        next_fire_at: T0,
      });
      return { store, task };
    };

    test("concurrent callers share batches, each gets its task's id, and a repeated name gets the same task", async () => {
      const { store, task } = await setup();
      const batches: number[] = [];
      const adds = new GroupCommit<TaskFields, number>(store, (tx, items) => {
        batches.push(items.length);
        return upsertTasks(tx, items, T0);
      });
      const names = Array.from({ length: 200 }, (_, i) => `t${i % 150}`);
      const ids = await Promise.all(names.map((n, i) => adds.run(task(n, i % 2 === 0 ? "even" : "odd"))));
      assert.deepEqual(batches, [200], "callers of the same turn went together");
      const rows = await store.kysely.selectFrom("task").select(["id", "name", "biz_id", "arg"]).execute();
      const idOf = new Map(rows.map((r) => [`${r.name}/${r.biz_id}`, r.id]));
      names.forEach((n, i) => assert.equal(ids[i], idOf.get(`${n}/${i % 2 === 0 ? "even" : "odd"}`), `caller ${i} got its own task's id`));
      assert.equal(rows.length, new Set(names.map((n, i) => `${n}/${i % 2}`)).size);
      await store.close();
    });

    test("an update keeps the id and bumps the version", async () => {
      const { store, task } = await setup();
      const adds = new GroupCommit<TaskFields, number>(store, (tx, items) => upsertTasks(tx, items, T0));
      const first = await adds.run(task("same"));
      const [again] = await Promise.all([adds.run({ ...task("same"), arg: "changed" }), adds.run(task("other"))]);
      assert.equal(again, first);
      const row = await store.kysely.selectFrom("task").selectAll().where("id", "=", first).executeTakeFirstOrThrow();
      assert.equal(row.arg, "changed");
      assert.equal(row.version, 1);
      await store.close();
    });

    test("a batch that fails is written one by one: only the bad caller fails", async () => {
      const { store, task } = await setup();
      const adds = new GroupCommit<TaskFields, number>(store, async (tx, items) => {
        if (items.some((t) => t.name === "bad")) throw new Error("refused");
        return upsertTasks(tx, items, T0);
      });
      const results = await Promise.allSettled(["a", "b", "bad", "c"].map((n) => adds.run(task(n))));
      assert.deepEqual(
        results.map((r) => r.status),
        ["fulfilled", "fulfilled", "rejected", "fulfilled"],
      );
      assert.equal((await store.kysely.selectFrom("task").select("id").execute()).length, 3);
      await store.close();
    });
  });
}

// MySQL compares names with trailing spaces ignored (PAD SPACE, even in
// utf8mb4_bin): "Report" and "Report " are one row there, so the ids are
// matched by the database's comparison, not by the strings.
test("on MySQL two spellings its collation calls one name are one task, and both callers get its id", async () => {
  const { store: config } = await freshStore("mysql");
  const store = await openStore({ kind: "mysql", url: (config as { url: string }).url });
  await upsertRoute(store, { name: "w", schema: "http", host: "127.0.0.1", port: 9, callbackTimeoutSec: 5, isEnableHealthCheck: false }, T0, 256);
  const taskServerId = (await findTaskServerId(store, "w"))!;
  const base = { biz_id: "", task_server_id: taskServerId, callback_path: "/", sched_mode: SchedMode.INTERVAL, time_cron: "", time_interval_sec: 60, time_spec_at: 0, arg: "", next_fire_at: T0 };
  const ids = await upsertTasks(store, [{ ...base, name: "Report" }, { ...base, name: "Report " }], T0);
  assert.equal(ids[0], ids[1]);
  assert.equal((await store.kysely.selectFrom("task").select("id").execute()).length, 1);
  await store.close();
});
