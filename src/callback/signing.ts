import { createHmac } from "node:crypto";

export const TIMESTAMP_HEADER = "x-easytask-timestamp";
export const SIGNATURE_HEADER = "x-easytask-signature";

// The signature of a callback or heartbeat to a task server with a secret:
// "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body), over the body's
// UTF-8 bytes, which is what the callback client sends. The timestamp is in
// the signed text so a captured request cannot be replayed once the task
// server's tolerance has passed; "v1" leaves room for another scheme.
export function signatureHeaders(secret: string | null, body: string, nowMs: number): Record<string, string> {
  if (secret === null) return {};
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = createHmac("sha256", secret).update(`${timestamp}.`).update(body, "utf8").digest("hex");
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${mac}` };
}
