import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { getOption, ScalarType, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/easytask/v1/errors_pb.js";
import { limits } from "../../gen/easytask/v1/options_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { SchedMode, TaskAction, TaskService } from "../../gen/easytask/v1/task_pb.js";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { clients, type Clients } from "../support/api.js";
import { startTestNode, type TestNode } from "../support/node.js";

// Every limit the proto declares (option `limits`) is the server's: a value
// one past it is refused with INVALID_ARGUMENT naming the field. The list of limits comes
// from the proto itself, so a new one is tested the day it is declared.
// (At the limit, a value may still be refused for its content: a cron of
// 255 x's is no cron.)

interface Declared {
  // The field's path in the request, as the error names it.
  path: string;
  field: DescMessage["fields"][number];
  bound: "maxChars" | "maxBytes" | "maxValue";
  max: number;
}

function declaredLimits(message: DescMessage, prefix = ""): Declared[] {
  return message.fields.flatMap((field): Declared[] => {
    if (field.message) return declaredLimits(field.message, `${prefix}${field.name}.`);
    const l = getOption(field, limits);
    const bound = l.maxChars ? "maxChars" : l.maxBytes ? "maxBytes" : l.maxValue ? "maxValue" : undefined;
    return bound ? [{ path: prefix + field.name, field, bound, max: Number(l[bound]) }] : [];
  });
}

const onePast = (d: Declared): unknown => {
  if (d.bound !== "maxValue") return "x".repeat(d.max + 1);
  return d.field.fieldKind === "scalar" && d.field.scalar === ScalarType.INT64 ? BigInt(d.max) + 1n : d.max + 1;
};

// Sets a field given by its path (snake_case) on a request in its JSON-ish init form.
function withField(base: Record<string, unknown>, d: Declared, value: unknown): Record<string, unknown> {
  const [outer, inner] = d.path.split(".");
  const camel = (s: string) => s.replace(/_(.)/g, (_, c: string) => c.toUpperCase());
  return inner ? { ...base, [camel(outer)]: { ...(base[camel(outer)] as object), [camel(inner)]: value } } : { ...base, [camel(outer)]: value };
}

let node: TestNode;
let api: Clients;
before(async () => {
  node = await startTestNode("sqlite");
  api = clients(node.port);
  await api.registry.addTaskServer({ name: "s", schema: "http", host: "127.0.0.1", port: 9 });
});
after(() => node.stop());

const interval = { name: "n", srvName: "s", schedMode: SchedMode.INTERVAL, timeIntervalSec: 60 };
const cron = { name: "n", srvName: "s", schedMode: SchedMode.CRON, timeCron: "0 * * * * *" };
const at = { name: "n", srvName: "s", schedMode: SchedMode.AT, timeSpecAt: BigInt(Math.floor(Date.now() / 1000) + 3600) };
// A request each limited field is checked in: the schedule fields only
// matter under their sched_mode.
const CALLS: Record<string, (path: string) => { send: (req: Record<string, unknown>) => Promise<unknown>; base: Record<string, unknown> }> = {
  AddTaskRequest: (path) => ({
    send: (r) => api.tasks.addTask(r),
    base: path === "time_cron" || path === "time_zone" ? cron : path === "time_spec_at" ? at : interval,
  }),
  PreviewScheduleRequest: (path) => ({
    send: (r) => api.tasks.previewSchedule(r),
    base: path === "time_cron" || path === "time_zone" ? cron : path === "time_spec_at" ? at : interval,
  }),
  ConfirmTaskRequest: () => ({ send: (r) => api.tasks.confirmTask(r), base: { taskId: 1n, taskRunTimes: 1 } }),
  ListTasksRequest: () => ({ send: (r) => api.tasks.listTasks(r), base: {} }),
  ListTaskLogsRequest: () => ({ send: (r) => api.tasks.listTaskLogs(r), base: {} }),
  AddTaskServerRequest: () => ({ send: (r) => api.registry.addTaskServer(r), base: { name: "s", schema: "http", host: "127.0.0.1", port: 9 } }),
  DeleteTaskServerRequest: () => ({ send: (r) => api.registry.deleteTaskServer(r), base: {} }),
  TriggerTaskRequest: () => ({ send: (r) => api.tasks.triggerTask(r), base: { taskId: 1n } }),
  BulkTaskActionRequest: () => ({ send: (r) => api.tasks.bulkTaskAction(r), base: { action: TaskAction.PAUSE, filter: {} } }),
  GetTaskHistoryRequest: () => ({ send: (r) => api.tasks.getTaskHistory(r), base: { taskId: 1n } }),
  ListAuditLogRequest: () => ({ send: (r) => api.cluster.listAuditLog(r), base: {} }),
  ListAlertsRequest: () => ({ send: (r) => api.cluster.listAlerts(r), base: {} }),
};

const methods = [...TaskService.methods, ...RegistryService.methods, ...ClusterService.methods];

test("every request field with a declared limit is covered here", () => {
  for (const method of methods) {
    if (declaredLimits(method.input).length > 0) assert.ok(CALLS[method.input.name], `${method.input.name} has limits but no request here to check them`);
  }
});

for (const method of methods) {
  const declared = declaredLimits(method.input);
  if (declared.length === 0 || !CALLS[method.input.name]) continue;
  test(`${method.name}: each declared limit is enforced`, async () => {
    for (const d of declared) {
      const { send, base } = CALLS[method.input.name](d.path);
      const err = await send(withField(base, d, onePast(d))).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ConnectError, `${d.path} one past ${d.max}: refused`);
      assert.equal(err.code, Code.InvalidArgument, `${d.path}: ${err.message}`);
      assert.equal(err.findDetails(ErrorDetailSchema)[0]?.field, d.path, `${d.path}: the refusal names the field (${err.rawMessage})`);
    }
  });
}
