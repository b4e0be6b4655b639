export { createEasytaskClient, type ClientOptions, type EasytaskClient } from "./client.js";
export { TaskServer, type TaskHandler, type TaskResult, type TaskServerOptions } from "./taskServer.js";
export type { TaskContext } from "./callbackContext.js";
// What handling the clients' errors and writing interceptors takes, so that an
// app needs no direct dependency on the Connect packages (strict layouts such
// as pnpm's do not let it import them otherwise).
export { Code, ConnectError, type CallOptions, type Interceptor } from "@connectrpc/connect";
export { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
export {
  DEFAULT_SIGNATURE_TOLERANCE_SEC,
  SIGNATURE_HEADER,
  SignatureError,
  TIMESTAMP_HEADER,
  verifySignature,
  type SignedHeaders,
  type VerifyOptions,
} from "./verifySignature.js";
export * from "./gen/easytask/v1/callback_pb.js";
export * from "./gen/easytask/v1/cluster_pb.js";
export * from "./gen/easytask/v1/errors_pb.js";
export * from "./gen/easytask/v1/registry_pb.js";
export * from "./gen/easytask/v1/task_pb.js";
