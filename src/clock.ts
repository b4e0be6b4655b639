// The one clock of a node: what time it is, and waiting for time to pass.
// Every part that reads the time or sets a timer takes it as a dependency,
// so a test can run a whole node on a clock it moves by hand
// (test/support/testClock.ts) instead of sleeping on wall time.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  // Wall time, ms since the epoch: what is stored and compared with due times.
  now(): number;
  // A time that never goes back, for durations and leases: wall time can
  // jump when the host's clock is set.
  monotonic(): number;
  // Resolves after ms, or early when the signal aborts.
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  // Runs fn once after ms, unless canceled first.
  timer(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
  timer: (ms, fn) => {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};

// Settles with work, or rejects once ms have passed on the clock.
export function withDeadline<T>(clock: Clock, work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: Timer | undefined;
  const late = new Promise<never>((_, reject) => (timer = clock.timer(ms, () => reject(new Error(`${what} took over ${ms} ms`)))));
  return Promise.race([work, late]).finally(() => timer?.cancel());
}
