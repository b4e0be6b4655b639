import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema, ErrorReason } from "../../gen/easytask/v1/errors_pb.js";
import type { Logger } from "../log/log.js";
import { DomainError, unavailable } from "../service/errors.js";
import { isDatabaseUnavailable } from "../store/availability.js";

// The one table from use-case refusals to Connect codes.
const CONNECT_CODE: Record<ErrorReason, Code> = {
  [ErrorReason.UNSPECIFIED]: Code.Unknown,
  [ErrorReason.INVALID_ARGUMENT]: Code.InvalidArgument,
  [ErrorReason.TASK_NOT_FOUND]: Code.NotFound,
  [ErrorReason.TASK_SERVER_NOT_FOUND]: Code.NotFound,
  [ErrorReason.RUN_NOT_FOUND]: Code.NotFound,
  [ErrorReason.RUN_NOT_CONFIRMABLE]: Code.FailedPrecondition,
  [ErrorReason.SERVER_STOPPED]: Code.Unavailable,
  [ErrorReason.RUN_NOT_OPEN]: Code.FailedPrecondition,
  [ErrorReason.TASK_STATE]: Code.FailedPrecondition,
  [ErrorReason.TASK_SERVER_IN_USE]: Code.FailedPrecondition,
  [ErrorReason.RUN_NOT_RETRYABLE]: Code.FailedPrecondition,
};

// Domain errors keep their reason as an ErrorDetail so clients can tell a
// missing task from a missing task server; a database that cannot be reached
// is Unavailable (the client may retry); anything else unexpected is logged
// and answered as internal without leaking its text.
export function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (isDatabaseUnavailable(err)) {
    log.warn("database unavailable", { err: (err as Error).message });
    err = unavailable("database unavailable; try again later");
  }
  if (err instanceof DomainError) {
    return new ConnectError(err.message, CONNECT_CODE[err.reason], undefined, [
      { desc: ErrorDetailSchema, value: create(ErrorDetailSchema, { reason: err.reason, field: err.field }) },
    ]);
  }
  log.error("request failed", { err });
  return new ConnectError("internal error", Code.Internal);
}

export function errorInterceptor(log: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, log);
    }
  };
}
