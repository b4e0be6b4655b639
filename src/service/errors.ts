import { ErrorReason } from "../../gen/easytask/v1/errors_pb.js";

// What a use case reports when it refuses a request. The server turns it into
// a Connect error (and the documented paths into the envelope) in one table
// each; this layer knows nothing of either.
export class DomainError extends Error {
  constructor(
    readonly reason: ErrorReason,
    message: string,
    readonly field = "",
  ) {
    super(message);
  }
}

export const invalidArgument = (field: string, message: string) => new DomainError(ErrorReason.INVALID_ARGUMENT, message, field);
export const taskNotFound = (taskId: bigint | number) => new DomainError(ErrorReason.TASK_NOT_FOUND, `task ${taskId} not found`, "task_id");
export const taskServerNotFound = (message: string, field = "srv_name") => new DomainError(ErrorReason.TASK_SERVER_NOT_FOUND, message, field);
export const unavailable = (message: string) => new DomainError(ErrorReason.SERVER_STOPPED, message);
