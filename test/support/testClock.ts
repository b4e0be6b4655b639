import type { Clock, Timer } from "../../src/clock.js";

interface Pending {
  at: number;
  seq: number;
  fire(): void;
}

// Lets promise chains and I/O callbacks queued by what just fired run.
const settle = () => new Promise<void>((r) => setImmediate(r));

// A clock that moves only when the test says so. Timers and sleeps fire in
// due order as advance() passes their time, so a whole node can run on it:
// the test moves time and waits for what the node does, instead of
// sleeping on wall time and hoping it was long enough.
export class TestClock implements Clock {
  // What each sleep asked for, in order.
  readonly sleeps: number[] = [];
  private pending: Pending[] = [];
  private seq = 0;
  private asleep = 0;

  constructor(public t: number) {}

  now = () => this.t;
  monotonic = () => this.t;

  timer(ms: number, fn: () => void): Timer {
    const entry: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fire: fn };
    this.pending.push(entry);
    return { cancel: () => (this.pending = this.pending.filter((p) => p !== entry)) };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.resolve();
    this.asleep++;
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        signal?.removeEventListener("abort", wake);
        this.asleep--;
        resolve();
      };
      const timer = this.timer(ms, wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  // Sleeps in progress: a loop that sleeps is done with its pass.
  get sleeping(): number {
    return this.asleep;
  }

  // Waits, in real time, until `count` sleeps are in progress: with every
  // loop of a node asleep, each has done its pass for the time it is now.
  async untilSleeping(count: number, timeoutMs = 15_000): Promise<void> {
    const giveUpAt = Date.now() + timeoutMs;
    while (this.asleep < count) {
      if (Date.now() > giveUpAt) throw new Error(`${this.asleep} of ${count} loops asleep after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  // Moves time forward by ms, firing every timer due on the way at its own
  // time, and lets what each one started run before the next.
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    for (;;) {
      await settle();
      const next = this.pending.reduce<Pending | undefined>((a, p) => (!a || p.at < a.at || (p.at === a.at && p.seq < a.seq) ? p : a), undefined);
      if (!next || next.at > until) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.t = Math.max(this.t, next.at);
      next.fire();
    }
    this.t = until;
    await settle();
  }
}
