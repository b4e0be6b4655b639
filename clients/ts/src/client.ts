import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ClusterService } from "./gen/easytask/v1/cluster_pb.js";
import { RegistryService } from "./gen/easytask/v1/registry_pb.js";
import { TaskService } from "./gen/easytask/v1/task_pb.js";

export interface ClientOptions {
  /** The easytask server, e.g. "http://127.0.0.1:8801". */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every call. */
  token?: string;
  /** Extra interceptors, run after the one that adds the token. */
  interceptors?: Interceptor[];
}

export interface EasytaskClient {
  tasks: Client<typeof TaskService>;
  registry: Client<typeof RegistryService>;
  cluster: Client<typeof ClusterService>;
}

function checkBaseUrl(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`easytask: baseUrl ${JSON.stringify(baseUrl)} is not a URL; expected e.g. "http://127.0.0.1:8801"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`easytask: baseUrl must be http:// or https://, got ${JSON.stringify(baseUrl)}`);
  }
}

/** Typed clients of TaskService, RegistryService and ClusterService over Connect (binary protobuf, HTTP/1.1). */
export function createEasytaskClient(options: ClientOptions): EasytaskClient {
  checkBaseUrl(options.baseUrl);
  const interceptors = [...(options.interceptors ?? [])];
  const token = options.token;
  if (token) {
    interceptors.unshift((next) => (req) => {
      req.header.set("Authorization", `Bearer ${token}`);
      return next(req);
    });
  }
  const transport = createConnectTransport({ baseUrl: options.baseUrl, httpVersion: "1.1", useBinaryFormat: true, interceptors });
  return {
    tasks: createClient(TaskService, transport),
    registry: createClient(RegistryService, transport),
    cluster: createClient(ClusterService, transport),
  };
}
