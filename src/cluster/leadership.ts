// Whether this node may schedule. Standalone nodes always may; an elected
// node only while it holds the lease. Correctness never rests on it (the
// database's compare-and-set decides every run); it only avoids wasted work.
export interface Leadership {
  // Calls back with true when this node starts leading and false when it
  // stops; the first call may happen before start() resolves.
  start(onChange: (leading: boolean) => void): Promise<void>;
  stop(): Promise<void>;
}

export function standalone(): Leadership {
  let notify: ((leading: boolean) => void) | undefined;
  return {
    async start(onChange) {
      notify = onChange;
      onChange(true);
    },
    async stop() {
      notify?.(false);
      notify = undefined;
    },
  };
}
