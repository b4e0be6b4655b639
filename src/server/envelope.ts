import type { ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import { ENVELOPE_CODE_OF_CONNECT_CODE, REASON_CODES } from "./errorCodes.js";

// The Go original's answer on every documented path: HTTP 200 and
// {"code","msg","data","hint"}; data is {} or the result on success, null on
// error; hint is the trace id.
export interface Envelope {
  code: number;
  msg: string;
  data: unknown;
  hint: string;
}

export const INVALID_ARGUMENTS = REASON_CODES.get(ErrorReason.INVALID_ARGUMENT)!.envelope;
const INTERNAL = 500;

// The original's code for an error, as the proto maps it (errors.proto): by
// its reason detail, which tells apart codes that share a Connect code (both
// not-found), else by its Connect code.
export function envelopeCode(err: ConnectError): number {
  const reason = err.findDetails(ErrorDetailSchema)[0]?.reason;
  return (reason !== undefined ? REASON_CODES.get(reason)?.envelope : undefined) ?? ENVELOPE_CODE_OF_CONNECT_CODE.get(err.code) ?? INTERNAL;
}

export const success = (data: unknown, hint: string): Envelope => ({ code: 0, msg: "", data, hint });
export const failure = (code: number, msg: string, hint: string): Envelope => ({ code, msg, data: null, hint });
