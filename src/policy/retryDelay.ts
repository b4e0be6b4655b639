export interface RetryBackoff {
  retry_initial_sec: number;
  retry_multiplier: number;
  retry_max_sec: number;
}

// Delay before the retry that follows failed attempt `attempt` (1-based):
// initial * multiplier^(attempt-1), capped; zeros mean the defaults
// 1 s, 2 and 3600 s.
export function retryDelayMs(b: RetryBackoff, attempt: number): number {
  const initial = (b.retry_initial_sec || 1) * 1000;
  const multiplier = b.retry_multiplier || 2;
  const max = (b.retry_max_sec || 3600) * 1000;
  return Math.min(max, initial * multiplier ** (attempt - 1));
}
