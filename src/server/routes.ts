import type { ConnectRouter } from "@connectrpc/connect";
import type { DescService } from "@bufbuild/protobuf";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";
import type { ClusterServiceImpl } from "../service/clusterService.js";
import type { RegistryServiceImpl } from "../service/registryService.js";
import type { TaskServiceImpl } from "../service/taskService.js";
import type { ImplementedService } from "./legacyAdapter.js";

export interface Services {
  tasks: TaskServiceImpl;
  registry: RegistryServiceImpl;
  cluster: ClusterServiceImpl;
}

export function implementedServices(s: Services): ImplementedService[] {
  return [
    { service: TaskService as DescService, impl: s.tasks },
    { service: RegistryService as DescService, impl: s.registry },
    { service: ClusterService as DescService, impl: s.cluster },
  ];
}

export default (s: Services) => (router: ConnectRouter) => {
  router.service(TaskService, s.tasks);
  router.service(RegistryService, s.registry);
  router.service(ClusterService, s.cluster);
};
