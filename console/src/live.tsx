import { useEffect, useState } from "preact/hooks";
import { relative } from "./time.js";
import { useNow } from "./zone.js";

// Whether pages refresh themselves (every 2 s while visible), and how the
// last refresh went; shown in the header with a button to pause.

interface LiveState {
  paused: boolean;
  // When a refresh last succeeded, and the problem of the last one if it failed.
  okAt: number;
  failure: string;
}

let state: LiveState = { paused: false, okAt: 0, failure: "" };
const listeners = new Set<(s: LiveState) => void>();

function update(change: Partial<LiveState>): void {
  const next = { ...state, ...change };
  if (next.paused === state.paused && next.okAt === state.okAt && next.failure === state.failure) return;
  state = next;
  for (const l of listeners) l(state);
}

export const live = {
  get paused() {
    return state.paused;
  },
  setPaused: (paused: boolean) => update({ paused }),
  succeeded: () => update({ okAt: Date.now(), failure: "" }),
  failed: (failure: string) => update({ failure }),
  // Called on every change; returns the unsubscribe.
  subscribe(l: (s: LiveState) => void): () => void {
    listeners.add(l);
    return () => listeners.delete(l);
  },
};

export function useLive(): LiveState {
  const [s, setS] = useState(state);
  useEffect(() => live.subscribe(setS), []);
  return s;
}

export function LiveIndicator() {
  const s = useLive();
  const now = useNow();
  const word = s.paused ? "Paused" : s.failure ? "Reconnecting" : "Live";
  const tone = s.paused ? "paused" : s.failure ? "failing" : "live";
  return (
    <div class={`live ${tone}`}>
      <span role="status" class="live-word" title={s.failure || undefined}>
        <span class="dot" aria-hidden="true" />
        {word}
      </span>
      {!s.paused && s.okAt > 0 && <small class="live-age">updated {relative(s.okAt, Math.max(now, s.okAt))}</small>}
      <button type="button" class="link" aria-pressed={s.paused} onClick={() => live.setPaused(!s.paused)}>
        {s.paused ? "Resume updates" : "Pause updates"}
      </button>
    </div>
  );
}
