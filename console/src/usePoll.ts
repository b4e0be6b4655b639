import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { problemOf, type Problem } from "./api.js";

export const POLL_MS = 2000;

export interface Loaded<T> {
  data?: T;
  problem?: Problem;
  reload(): void;
}

// Loads with `load`, again whenever `deps` change, and every `everyMs` while
// the page is visible (never when false), so new runs appear without a reload.
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs: number | false = POLL_MS): Loaded<T> {
  const [state, setState] = useState<{ data?: T; problem?: Problem }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadRef.current().then(
      (data) => mine === generation.current && setState({ data }),
      (err) => mine === generation.current && setState((s) => ({ data: s.data, problem: problemOf(err) })),
    );
  }, []);
  useEffect(() => {
    setState({});
    reload();
    if (everyMs === false) return;
    const timer = setInterval(() => document.visibilityState === "visible" && reload(), everyMs);
    return () => {
      clearInterval(timer);
      generation.current++;
    };
  }, [...deps, everyMs]);
  return { ...state, reload };
}
