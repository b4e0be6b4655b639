import { useEffect, useState } from "preact/hooks";

// Hash routes (#/tasks/42), so that the server serves one index.html and a
// reload keeps the page.
export interface Route {
  page: "overview" | "tasks" | "task" | "new-task" | "edit-task" | "runs" | "servers" | "audit";
  id?: string;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(query);
  if (parts[0] === "tasks" && parts[1] === "new") return { page: "new-task", params };
  if (parts[0] === "tasks" && parts[1] && parts[2] === "edit") return { page: "edit-task", id: parts[1], params };
  if (parts[0] === "tasks" && parts[1]) return { page: "task", id: parts[1], params };
  if (parts[0] === "tasks") return { page: "tasks", params };
  if (parts[0] === "runs") return { page: "runs", params };
  if (parts[0] === "servers") return { page: "servers", params };
  if (parts[0] === "audit") return { page: "audit", params };
  return { page: "overview", params };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener("hashchange", changed);
    // A change between the first render and now had no listener yet.
    changed();
    return () => removeEventListener("hashchange", changed);
  }, []);
  return parseRoute(hash);
}

export const go = (hash: string) => {
  location.hash = hash;
};
