import { getOption, type DescMessage } from "@bufbuild/protobuf";
import { limits } from "../../gen/easytask/v1/options_pb.js";

type Bound = "maxChars" | "maxBytes" | "maxValue";

// A request field's bound as the proto declares it (option `limits`), read
// once when the use cases load: the proto is where the API's limits live,
// for the server, the SDKs and the docs alike. A bound the code asks for and
// the proto lacks stops the start instead of enforcing nothing.
export function limitOf(message: DescMessage, field: string, bound: Bound): number {
  const desc = message.fields.find((f) => f.name === field);
  const value = desc && Number(getOption(desc, limits)[bound]);
  if (!value) throw new Error(`${message.typeName}.${field} declares no ${bound} limit`);
  return value;
}
