import type { ConnectRouter } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";
import type { RegistryServiceImpl } from "../service/registryService.js";
import type { TaskServiceImpl } from "../service/taskService.js";
import type { ImplementedService } from "./legacyAdapter.js";

export interface Services {
  tasks: TaskServiceImpl;
  registry: RegistryServiceImpl;
}

export function implementedServices(s: Services): ImplementedService[] {
  return [
    { service: TaskService as DescService, impl: s.tasks },
    { service: RegistryService as DescService, impl: s.registry },
  ];
}

export default (s: Services) => (router: ConnectRouter) => {
  router.service(TaskService, s.tasks);
  router.service(RegistryService, s.registry);
};
