export { createEasytaskClient, type ClientOptions, type EasytaskClient } from "./client.js";
export { TaskServer, type TaskContext, type TaskHandler, type TaskResult, type TaskServerOptions } from "./taskServer.js";
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
export * from "./gen/easytask/v1/errors_pb.js";
export * from "./gen/easytask/v1/registry_pb.js";
export * from "./gen/easytask/v1/task_pb.js";
