import { Code } from "@connectrpc/connect";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { problemOf, type Problem } from "./api.js";
import { live } from "./live.js";

export const POLL_MS = 2000;

const UNREACHABLE = [Code.Unavailable, Code.Unknown, Code.Internal, Code.DeadlineExceeded, Code.Aborted];

export interface Loaded<T> {
  data?: T;
  problem?: Problem;
  reload(): void;
}

// Loads with `load`, again whenever `deps` change, and every `everyMs` while
// the page is visible and updates are not paused (never when false), so new
// runs appear without a reload.
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs: number | false = POLL_MS): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadRef.current().then(
      (data) => {
        live.succeeded();
        if (mine === generation.current) setState({ data });
      },
      (err) => {
        const problem = problemOf(err);
        // The server answered (a refusal is an answer): only a server out
        // of reach makes the page stale.
        if (UNREACHABLE.includes(problem.code)) live.failed(problem.message);
        else live.succeeded();
        if (mine === generation.current) setState((s) => ({ data: s.data, problem }));
      },
    );
  }, []);
  useEffect(() => {
    setState({});
    reload();
    if (everyMs === false) return;
    const timer = setInterval(() => document.visibilityState === "visible" && !live.paused && reload(), everyMs);
    // Resumed: catch up at once.
    let paused = live.paused;
    const unsubscribe = live.subscribe((s) => {
      if (paused && !s.paused) reload();
      paused = s.paused;
    });
    return () => {
      clearInterval(timer);
      unsubscribe();
      generation.current++;
    };
  }, [...deps, everyMs]);
  return { ...state, reload };
}
