import { getOption, type DescMessage } from "@bufbuild/protobuf";
import { limits } from "../../gen/easytask/v1/options_pb.js";

type Bound = "maxChars" | "maxBytes" | "maxValue";

// Reading an option decodes the field's options each time (a tenth of the
// CPU of an AddTask when it was read per call): each bound is read once.
const known = new WeakMap<DescMessage, Map<string, number>>();

// A request field's bound as the proto declares it (option `limits`): the
// proto is where the API's limits live, for the server, the SDKs and the
// docs alike. A bound the code asks for and the proto lacks stops the start
// (or fails the call) instead of enforcing nothing.
export function limitOf(message: DescMessage, field: string, bound: Bound): number {
  let bounds = known.get(message);
  if (!bounds) known.set(message, (bounds = new Map()));
  const key = `${field} ${bound}`;
  let value = bounds.get(key);
  if (value === undefined) {
    const desc = message.fields.find((f) => f.name === field);
    value = desc && Number(getOption(desc, limits)[bound]);
    if (!value) throw new Error(`${message.typeName}.${field} declares no ${bound} limit`);
    bounds.set(key, value);
  }
  return value;
}
