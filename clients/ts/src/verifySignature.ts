import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const TIMESTAMP_HEADER = "x-easytask-timestamp";
export const SIGNATURE_HEADER = "x-easytask-signature";
/** How far a callback's timestamp may be from the task server's clock, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** A callback that is not signed with the task server's secret, or signed too long ago. */
export class SignatureError extends Error {
  override name = "SignatureError";
}

export interface VerifyOptions {
  /** Largest distance, in seconds, between the callback's timestamp and now; default 300. */
  toleranceSec?: number;
  /** Now, in epoch milliseconds; default `Date.now()`. */
  now?: number;
}

/** `fetch` Headers, or `node:http` request headers (or any object of header names to values). */
export type SignedHeaders = Headers | IncomingHttpHeaders | Record<string, string | string[] | undefined>;

function header(headers: SignedHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    // Two values would leave it open which one was signed.
    if (Array.isArray(value)) throw new SignatureError(`more than one ${name} header`);
    return value;
  }
  return undefined;
}

/**
 * Checks that a callback or heartbeat was signed by the scheduler with
 * `secret`: `x-easytask-signature` is `v1=` + hex HMAC-SHA256(secret,
 * `x-easytask-timestamp` + "." + body), and the timestamp (unix seconds) is
 * within the tolerance of now. `body` must be the raw bytes received, before
 * any parsing. Throws a SignatureError saying what is wrong; answer it with
 * HTTP 401 and do not run the task.
 */
export function verifySignature(secret: string, headers: SignedHeaders, body: Uint8Array | string, opts: VerifyOptions = {}): void {
  const timestamp = header(headers, TIMESTAMP_HEADER);
  const signature = header(headers, SIGNATURE_HEADER);
  if (timestamp === undefined || signature === undefined) {
    throw new SignatureError(`the request is not signed: ${timestamp === undefined ? TIMESTAMP_HEADER : SIGNATURE_HEADER} is missing`);
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError(`${TIMESTAMP_HEADER} is not unix seconds`);
  const given = /^v1=([0-9a-fA-F]{64})$/.exec(signature);
  if (!given) throw new SignatureError(`${SIGNATURE_HEADER} is not "v1=" and 64 hex digits`);
  const toleranceSec = opts.toleranceSec ?? DEFAULT_SIGNATURE_TOLERANCE_SEC;
  const skewSec = Math.abs((opts.now ?? Date.now()) / 1000 - Number(timestamp));
  if (skewSec > toleranceSec) throw new SignatureError(`the timestamp is ${Math.round(skewSec)} s from now, more than the tolerance of ${toleranceSec} s`);
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  if (!timingSafeEqual(expected, Buffer.from(given[1], "hex"))) throw new SignatureError("the signature does not match: signed with another secret, or altered");
}
