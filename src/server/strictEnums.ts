import type { DescMessage, JsonValue } from "@bufbuild/protobuf";
import { errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "../log/log.js";
import { invalidArgument, type DomainError } from "../service/errors.js";
import { toConnectError } from "./errors.js";
import { once, readBody, type ProcedureStep } from "./procedureSteps.js";

// Proto3 JSON parsing that ignores unknown fields (as ours does, so newer
// clients keep working) also ignores enum names it does not know, reading
// them as the default: "route_strategy": "ROUND_ROBBIN" would quietly mean
// RANDOM. A name this server does not know is refused instead; numbers are
// left to the use cases, which check them.

type JsonObject = { [key: string]: JsonValue };
const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function unknownEnumName(desc: DescMessage, json: JsonValue, prefix = ""): DomainError | undefined {
  if (!isObject(json)) return undefined;
  for (const field of desc.fields) {
    const value = json[field.name] ?? json[field.jsonName];
    if (value === undefined || value === null) continue;
    const path = prefix + field.name;
    const items = Array.isArray(value) ? value : [value];
    if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum")) {
      const known = field.enum.values;
      const name = items.find((v) => typeof v === "string" && !known.some((k) => k.name === v));
      if (name !== undefined) return invalidArgument(path, `${path}: ${JSON.stringify(name)} is not one of ${known.map((k) => k.name).join(", ")}`);
    }
    if (field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message")) {
      for (const item of items) {
        const found = unknownEnumName(field.message, item, `${path}.`);
        if (found) return found;
      }
    }
  }
  return undefined;
}

// For Connect's unary JSON requests; the documented paths check the same in
// the legacy adapter, and binary requests carry numbers only.
export const refuseUnknownEnumNames =
  (opts: { maxBodyBytes: number; log: Logger }): ProcedureStep =>
  (next, procedure) =>
  async (req) => {
    const json = req.method === "POST" && /^application\/json\b/.test(req.header.get("content-type") ?? "");
    if (!json || !(typeof req.body === "object" && req.body !== null && Symbol.asyncIterator in req.body)) return next(req);
    const bytes = await readBody(req.body as AsyncIterable<Uint8Array>, opts.maxBodyBytes);
    let parsed: JsonValue | undefined;
    try {
      parsed = bytes.length <= opts.maxBodyBytes ? (JSON.parse(bytes.toString("utf8")) as JsonValue) : undefined;
    } catch {
      // Connect answers malformed JSON itself.
    }
    const refusal = parsed === undefined ? undefined : unknownEnumName(procedure.method.input, parsed);
    if (!refusal) return next({ ...req, body: once(bytes) });
    return {
      status: 400,
      header: new Headers({ "content-type": "application/json" }),
      body: once(errorToJsonBytes(toConnectError(refusal, opts.log), {})),
    };
  };
