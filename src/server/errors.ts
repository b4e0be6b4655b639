import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorDetailSchema } from "../../gen/easytask/v1/errors_pb.js";
import type { Logger } from "../log/log.js";
import { DomainError, unavailable } from "../service/errors.js";
import { isDatabaseUnavailable } from "../store/availability.js";
import { REASON_CODES } from "./errorCodes.js";

// Domain errors keep their reason as an ErrorDetail so clients can tell a
// missing task from a missing task server; a database that cannot be reached
// is Unavailable (the client may retry); anything else unexpected is logged
// and answered as internal without leaking its text.
export function toConnectError(err: unknown, log: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (isDatabaseUnavailable(err)) {
    log.warn("database unavailable", { err });
    err = unavailable("database unavailable; try again later");
  }
  if (err instanceof DomainError) {
    return new ConnectError(err.message, REASON_CODES.get(err.reason)!.connect, undefined, [
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
