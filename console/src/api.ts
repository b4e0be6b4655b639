import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ClusterService } from "../../gen/easytask/v1/cluster_pb.js";
import { ErrorDetailSchema } from "../../gen/easytask/v1/errors_pb.js";
import { RegistryService } from "../../gen/easytask/v1/registry_pb.js";
import { TaskService } from "../../gen/easytask/v1/task_pb.js";

// The console talks to the server only through the generated clients, the
// same API every user has. The API token (when the server asks for one) is
// kept in localStorage and sent on every call.

const TOKEN_KEY = "easytask.token";

export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? "",
  set(value: string) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
  },
};

// `refused`: a token was sent and refused; it is dropped, not kept.
type Listener = (refused: boolean) => void;
const unauthenticatedListeners = new Set<Listener>();

// Called whenever the server refuses a call for want of a (valid) token.
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

const auth: Interceptor = (next) => async (req) => {
  const t = token.get();
  if (t) req.header.set("Authorization", `Bearer ${t}`);
  try {
    return await next(req);
  } catch (err) {
    const current = token.get();
    // A token saved since this call started is not the one refused.
    if (ConnectError.from(err).code === Code.Unauthenticated && (current === t || current === "")) {
      token.set("");
      for (const l of unauthenticatedListeners) l(t !== "");
    }
    throw err;
  }
};

const transport = createConnectTransport({
  baseUrl: new URL("/", location.href).href,
  interceptors: [auth],
  jsonOptions: { ignoreUnknownFields: true },
});

export const api = {
  tasks: createClient(TaskService, transport),
  registry: createClient(RegistryService, transport),
  cluster: createClient(ClusterService, transport),
};

export interface Problem {
  message: string;
  // The request field the server named, e.g. "time_cron".
  field: string;
  code: Code;
}

export function problemOf(err: unknown): Problem {
  const e = ConnectError.from(err);
  return { message: e.rawMessage, field: e.findDetails(ErrorDetailSchema)[0]?.field ?? "", code: e.code };
}
