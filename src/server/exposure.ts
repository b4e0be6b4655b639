import { isIP } from "node:net";

// Secure by default: a node that anyone on the network can reach, with no
// API token, lets them register task servers (so choose where the scheduler
// POSTs) and read every task. It still starts (the Go original was open),
// but says so at start, with what to do.

// Whether only this machine can connect to an address the API listens on.
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  const v4 = isIP(bare) === 6 ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare)?.[1] : bare;
  return v4 !== undefined && isIP(v4) === 4 && v4.startsWith("127.");
}

export function exposureWarning(host: string, port: number, tokens: readonly unknown[]): { message: string; address: string } | undefined {
  if (tokens.length > 0 || isLoopback(host)) return undefined;
  return {
    address: `${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`,
    message:
      "the API is open to the network without a token: anyone who reaches this address can add task servers and tasks. " +
      "Set auth.tokens (EASYTASK_AUTH__TOKENS), or listen on this machine only with api_server.http.host 127.0.0.1",
  };
}
