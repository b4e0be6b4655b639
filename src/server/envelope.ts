import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";

// The Go original's answer on every documented path: HTTP 200 and
// {"code","msg","data","hint"}; data is {} or the result on success, null on
// error; hint is the trace id.
export interface Envelope {
  code: number;
  msg: string;
  data: unknown;
  hint: string;
}

export const INVALID_ARGUMENTS = 10001;
const TASK_NOT_FOUND = 10002;
const TASK_SERVER_NOT_FOUND = 10003;
const SERVER_STOPPED = 10004;
// Not in the original, which had no API tokens; HTTP's numbers for the same refusals.
const UNAUTHENTICATED = 401;
const PERMISSION_DENIED = 403;
const INTERNAL = 500;

// The one table from Connect errors to the original's codes. The reason
// detail decides between codes that share a Connect code (both not-found).
const BY_REASON: Partial<Record<ErrorReason, number>> = {
  [ErrorReason.TASK_NOT_FOUND]: TASK_NOT_FOUND,
  [ErrorReason.RUN_NOT_FOUND]: TASK_NOT_FOUND,
  [ErrorReason.TASK_SERVER_NOT_FOUND]: TASK_SERVER_NOT_FOUND,
  [ErrorReason.SERVER_STOPPED]: SERVER_STOPPED,
};
const BY_CODE: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: INVALID_ARGUMENTS,
  [Code.FailedPrecondition]: INVALID_ARGUMENTS,
  [Code.OutOfRange]: INVALID_ARGUMENTS,
  [Code.NotFound]: TASK_NOT_FOUND,
  [Code.Unavailable]: SERVER_STOPPED,
  [Code.Unauthenticated]: UNAUTHENTICATED,
  [Code.PermissionDenied]: PERMISSION_DENIED,
};

export function envelopeCode(err: ConnectError): number {
  const reason = err.findDetails(ErrorDetailSchema)[0]?.reason;
  return (reason !== undefined ? BY_REASON[reason] : undefined) ?? BY_CODE[err.code] ?? INTERNAL;
}

export const success = (data: unknown, hint: string): Envelope => ({ code: 0, msg: "", data, hint });
export const failure = (code: number, msg: string, hint: string): Envelope => ({ code, msg, data: null, hint });
