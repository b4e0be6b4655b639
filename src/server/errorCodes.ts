import { getOption } from "@bufbuild/protobuf";
import type { Code } from "@connectrpc/connect";
import { codeFromString } from "@connectrpc/connect/protocol-connect";
import { ErrorReasonSchema, type ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { error as errorOption } from "../../gen/easytask/v1/options_pb.js";

export interface ReasonCodes {
  connect: Code;
  envelope: number;
}

// Each ErrorReason's codes, as the proto declares them (option `error`):
// read once at start, and a reason without them stops the start, so no
// refusal goes out with a made-up code.
export const REASON_CODES: ReadonlyMap<ErrorReason, ReasonCodes> = new Map(
  ErrorReasonSchema.values.map((value) => {
    const mapping = getOption(value, errorOption);
    const connect = codeFromString(mapping.connectCode);
    if (connect === undefined || mapping.envelopeCode === 0) throw new Error(`${value.name} has no (error) option with a Connect code and an envelope code`);
    return [value.number as ErrorReason, { connect, envelope: mapping.envelopeCode }];
  }),
);

// For errors without a reason (a body that does not decode, a missing
// token): the envelope code of the first reason with their Connect code.
export const ENVELOPE_CODE_OF_CONNECT_CODE: ReadonlyMap<Code, number> = new Map(
  [...REASON_CODES.values()].reverse().map((c) => [c.connect, c.envelope]),
);
