import { create, toJson, type DescMethod, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";

// What the audit log keeps of a call: what it was about, and the request and
// answer as proto JSON, without secrets and with long values cut short, so
// an entry stays small whatever was sent (an arg may be 256 KiB).

const MAX_STRING = 200;
const MAX_LIST = 20;
const MAX_JSON = 4000;
// Fields whose values never go into the audit log (a task server's secret).
const SECRET_FIELDS = new Set(["secret", "token", "password"]);

function tidy(value: JsonValue): JsonValue {
  if (typeof value === "string") return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
  if (Array.isArray(value)) return value.length > MAX_LIST ? [...value.slice(0, MAX_LIST).map(tidy), `… (${value.length} in all)`] : value.map(tidy);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? "[REDACTED]" : tidy(v)]));
}

function shortJson(value: JsonValue): string {
  const text = JSON.stringify(tidy(value));
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}…` : text;
}

export interface CallRecord {
  // "task:42", "task_server:reports".
  targets: string[];
  request: string;
  result: string;
}

type Fields = Record<string, JsonValue>;

// `request`: the message the method got; `response`: what it answered (a
// message or the fields of one).
export function describeCall(method: DescMethod, request: object, response: object): CallRecord {
  const asJson = (desc: DescMethod["input"], value: object) => toJson(desc, create(desc, value as MessageInitShape<typeof desc>), { useProtoFieldName: true }) as Fields;
  const req = asJson(method.input, request);
  const res = asJson(method.output, response);
  const taskIds = [req.task_id, ...((req.task_ids as JsonValue[] | undefined) ?? []), res.task_id].filter((id) => id !== undefined);
  const targets = [...new Set(taskIds)].map((id) => `task:${String(id)}`);
  if (method.parent.typeName === "easytask.v1.RegistryService" && typeof req.name === "string") targets.push(`task_server:${req.name}`);
  return { targets, request: shortJson(req), result: shortJson(res) };
}
