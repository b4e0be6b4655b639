import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
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

// POSTs JSON to task servers over kept-alive connections. The pool size
// bounds sockets per task server; the dispatcher bounds calls in flight.
export class CallbackClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  // ca: the certificates https task servers are verified against (see
  // trustedCas); Node's public CAs when absent.
  constructor(
    maxSocketsPerHost: number,
    private readonly targets: CallbackTargets,
    private readonly clock: Clock,
    ca?: string[],
  ) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets: maxSocketsPerHost });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: maxSocketsPerHost, ...(ca && { ca }) });
  }

  postJson(url: string, body: string, opts: PostOptions): Promise<PostResult> {
    // Checked here too, not only at registration: routes registered before
    // callback.allowed_hosts was narrowed must not be called either.
    const { hostname } = new URL(url);
    if (!this.targets.allows(hostname)) {
      return Promise.reject(new CallbackTargetRefused(`${hostname} is not allowed by callback.allowed_hosts`));
    }
    const https = url.startsWith("https:");
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: "POST",
        agent: https ? this.https : this.http,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...opts.headers },
        signal: opts.signal,
      });
      const timer = this.clock.timer(opts.timeoutMs, () => req.destroy(new CallbackTimeout(`no answer within ${opts.timeoutMs} ms`)));
      req.once("close", () => timer.cancel());
      req.once("error", reject);
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
          size += chunk.length;
        });
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.once("error", reject);
      });
      req.end(body);
    });
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
