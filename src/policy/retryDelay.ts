import { DEFAULT_POLICIES } from "./defaults.js";

export interface RetryBackoff {
  retry_initial_sec: number;
  retry_multiplier: number;
  retry_max_sec: number;
}

// Delay before the retry that follows failed attempt `attempt` (1-based):
// initial * multiplier^(attempt-1), capped; zeros mean the defaults.
export function retryDelayMs(b: RetryBackoff, attempt: number): number {
  const defaults = DEFAULT_POLICIES.retryBackoff;
  const initial = (b.retry_initial_sec || defaults.initialSec) * 1000;
  const multiplier = b.retry_multiplier || defaults.multiplier;
  const max = (b.retry_max_sec || defaults.maxSec) * 1000;
  return Math.min(max, initial * multiplier ** (attempt - 1));
}
