export { createEasytaskClient, type ClientOptions, type EasytaskClient } from "./client.js";
export { TaskServer, type TaskContext, type TaskHandler, type TaskResult, type TaskServerOptions } from "./taskServer.js";
export * from "./gen/easytask/v1/callback_pb.js";
export * from "./gen/easytask/v1/errors_pb.js";
export * from "./gen/easytask/v1/registry_pb.js";
export * from "./gen/easytask/v1/task_pb.js";
