import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { TaskSchema } from "../../gen/easytask/v1/task_pb.js";
import { freePort } from "../harness/ports.js";
import { clients, postDocumented } from "../support/api.js";
import { startTestNode } from "../support/node.js";
import { ROOT, run, transcript } from "../sdk/support.js";

// The README's shell examples, run as a user pastes them: bash and curl
// against a node, `localhost:8801` pointed at the node's port.

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "easytask-readme-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// The ```sh blocks of the section under `heading`, in order.
function shellBlocks(heading: string): string[] {
  const from = README.indexOf(`\n${heading}\n`);
  assert.ok(from >= 0, `the README has a section ${heading}`);
  const to = README.indexOf("\n## ", from + heading.length + 2);
  const section = README.slice(from, to < 0 ? undefined : to);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

// `npm start` of an example starts the easytask command in the background
// on the port, and returns once it serves.
const NPM_START = `
npm() {
  [ "$1" = start ] || return 1
  EASYTASK_API_SERVER__HTTP__HOST=127.0.0.1 EASYTASK_API_SERVER__HTTP__PORT=$PORT EASYTASK_SQLITE__PATH="$DIR/npm-start.db" \\
    node "$ROOT/bin/easytask.js" > "$DIR/npm-start.log" 2>&1 &
  echo $! > "$DIR/npm-start.pid"
  for _ in $(seq 200); do curl -s -o /dev/null "localhost:$PORT/healthz" && return 0; sleep 0.1; done
  return 1
}
`;

async function runExample(script: string, port: number) {
  const body = `set -euo pipefail\n${NPM_START}\n${script.replaceAll("localhost:8801", "localhost:$PORT")}`;
  return run("bash", ["-c", body], { env: { PORT: String(port), DIR: dir, ROOT } });
}

describe("the README's shell examples", () => {
  test("Security: the token the server is started with is the one the client sends", async () => {
    const port = await freePort();
    const ran = await runExample(shellBlocks("## Security").join("\n"), port);
    try {
      assert.equal(ran.code, 0, transcript("the example", ran));
      const answer = JSON.parse(ran.stdout) as Record<string, unknown>;
      assert.equal(answer.is_leader, true, ran.stdout);
      const refused = await fetch(`http://127.0.0.1:${port}/easytask.v1.ClusterService/GetCluster`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(refused.status, 401, "the server really requires the token");
    } finally {
      const pid = Number(readFileSync(join(dir, "npm-start.pid"), "utf8"));
      process.kill(pid, "SIGTERM");
    }
  });

  test("Signed callbacks: the task server is registered with the secret set", async () => {
    const node = await startTestNode("sqlite");
    try {
      const ran = await runExample(shellBlocks("## Signed callbacks")[0]!, node.port);
      assert.equal(ran.code, 0, transcript("the example", ran));
      assert.equal((JSON.parse(ran.stdout) as { code: number }).code, 0, ran.stdout);
      const [server] = (await clients(node.port).registry.listTaskServers({})).taskServers;
      assert.equal(server?.signed, true);
    } finally {
      await node.stop();
    }
  });

  test("Schedules: every policy example is accepted, and GetTask shows each policy as sent", async () => {
    const node = await startTestNode("sqlite");
    try {
      const registered = await postDocumented(node.port, "/add_task_server", { name: "reports", schema: "http", host: "127.0.0.1", port: 9000 });
      assert.equal(registered.json.code, 0, registered.json.msg);
      const [block] = shellBlocks("## Schedules");
      const ran = await runExample(block!, node.port);
      assert.equal(ran.code, 0, transcript("the example", ran));
      // The envelopes carry no newline: curl prints them one after the other.
      const answers = ran.stdout.split(/(?<=\})(?=\{"code")/).map((line) => JSON.parse(line) as { code: number; msg: string; data: { task_id: string } });
      const bodies = [...block!.matchAll(/ -d '(\{.*\})'/g)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
      assert.equal(answers.length, bodies.length);
      const policies = ["misfire_policy", "misfire_max_catch_up", "overlap_policy", "max_retries", "retry_backoff", "max_run_time_sec", "max_run_times", "start_at", "end_at", "route_strategy"];
      const shown = new Set<string>();
      for (const [i, answer] of answers.entries()) {
        assert.equal(answer.code, 0, answer.msg);
        const { task } = await clients(node.port).tasks.getTask({ taskId: BigInt(answer.data.task_id) });
        const json = toJson(TaskSchema, task!, { useProtoFieldName: true }) as Record<string, unknown>;
        for (const key of policies.filter((k) => k in bodies[i]!)) {
          // int64 fields are JSON strings in answers.
          const sent = bodies[i]![key];
          assert.deepEqual(json[key], typeof sent === "number" && typeof json[key] === "string" ? String(sent) : sent, `${bodies[i]!.name}: ${key}`);
          shown.add(key);
        }
      }
      assert.deepEqual([...shown].sort(), [...policies].sort(), "every policy has an example");
    } finally {
      await node.stop();
    }
  });
});
