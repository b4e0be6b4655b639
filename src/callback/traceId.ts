import { randomBytes } from "node:crypto";

// The original's trace header: on API requests and answers, and on every
// callback and heartbeat (the run's trace id).
export const TRACE_ID = "x-easy-task-trace-id";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// 20 characters like the original's trace ids (the envelope's `hint`).
export function newTraceId(): string {
  const bytes = randomBytes(20);
  let id = "";
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}
