import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, request } from "undici";
import type { Clock } from "../clock.js";
import type { CallbackTargets } from "./targets.js";

export interface PostResult {
  status: number;
  body: string;
}

export interface PostOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

// Answers are kept for the run log; past this they are cut, so a task server
// that answers with a huge body cannot fill the scheduler's memory.
export const MAX_ANSWER_BYTES = 64 * 1024;

// callback.ca_file: the CA (PEM, one or more certificates) that signed
// task servers' certificates, trusted besides the public ones, for
// callbacks and heartbeats alike. Read once, at start.
export function trustedCas(caFile: string): string[] {
  let pem: string;
  try {
    pem = readFileSync(caFile, "utf8");
    new X509Certificate(pem);
  } catch (err) {
    throw new Error(`callback.ca_file: cannot use "${caFile}" as a CA certificate: ${(err as Error).message}`);
  }
  return [...rootCertificates, pem];
}

export class CallbackTimeout extends Error {}
export class CallbackTargetRefused extends Error {}

// POSTs JSON to task servers over kept-alive connections (undici: a callback
// costs a fraction of node:http's CPU, which is what bounds a burst). The
// pool size bounds connections per task server origin; the dispatcher bounds
// calls in flight. No pipelining: a slow task must not hold up the next.
export class CallbackClient {
  private readonly agent: Agent;

  // ca: the certificates https task servers are verified against (see
  // trustedCas); Node's public CAs when absent.
  constructor(
    maxSocketsPerHost: number,
    private readonly targets: CallbackTargets,
    private readonly clock: Clock,
    ca?: string[],
  ) {
    this.agent = new Agent({ connections: maxSocketsPerHost, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0, ...(ca && { connect: { ca } }) });
  }

  async postJson(url: string, body: string, opts: PostOptions): Promise<PostResult> {
    // Checked here too, not only at registration: routes registered before
    // callback.allowed_hosts was narrowed must not be called either.
    const { hostname } = new URL(url);
    if (!this.targets.allows(hostname)) throw new CallbackTargetRefused(`${hostname} is not allowed by callback.allowed_hosts`);
    // One deadline for the whole call, from connecting to the last byte of
    // the answer; a stop or kill (opts.signal) cuts it too.
    const cut = new AbortController();
    const timer = this.clock.timer(opts.timeoutMs, () => cut.abort(new CallbackTimeout(`no answer within ${opts.timeoutMs} ms`)));
    const stop = () => cut.abort(opts.signal!.reason);
    if (opts.signal?.aborted) stop();
    opts.signal?.addEventListener("abort", stop, { once: true });
    try {
      const res = await request(url, {
        method: "POST",
        dispatcher: this.agent,
        headers: { "content-type": "application/json", ...opts.headers },
        body,
        signal: cut.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
        size += chunk.length;
      }
      return { status: res.statusCode, body: Buffer.concat(chunks).toString("utf8") };
    } catch (err) {
      throw cut.signal.reason instanceof CallbackTimeout ? cut.signal.reason : err;
    } finally {
      timer.cancel();
      opts.signal?.removeEventListener("abort", stop);
    }
  }

  close(): void {
    void this.agent.destroy();
  }
}
