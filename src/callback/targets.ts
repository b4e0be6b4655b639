import { BlockList, isIP } from "node:net";

// callback.allowed_hosts: which hosts the scheduler may call. Without it the
// API could make the scheduler POST to any address it can reach (cloud
// metadata, admin ports), so a route outside the list is refused at
// registration, and every outgoing call is checked again in case the list
// was narrowed after routes were registered.
//
// Entries are host names ("tasks.internal"), wildcard suffixes
// ("*.tasks.internal", any depth below it), IP addresses and CIDR ranges.
// A route given by name is matched by name only: names are not resolved,
// because an answer at registration says nothing about the answer at call
// time.

export interface CallbackTargets {
  allows(host: string): boolean;
}

type Parsed = { kind: "name"; name: string } | { kind: "suffix"; suffix: string } | { kind: "ip"; address: string; prefix: number; family: "ipv4" | "ipv6" };

const NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

const unbracket = (host: string) => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);

// ::ffff:10.0.0.1 is 10.0.0.1 to the socket layer; match it as such.
function normalizeIp(address: string): { address: string; family: "ipv4" | "ipv6" } | undefined {
  const version = isIP(address);
  if (version === 4) return { address, family: "ipv4" };
  if (version !== 6) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? { address: mapped[1]!, family: "ipv4" } : { address, family: "ipv6" };
}

function parseEntry(entry: string): Parsed | string {
  const text = entry.trim().toLowerCase();
  if (text === "") return "expected a host name, IP address or CIDR range";
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const ip = normalizeIp(text.slice(0, slash));
    const prefix = Number(text.slice(slash + 1));
    const max = ip?.family === "ipv4" ? 32 : 128;
    if (!ip || !/^\d{1,3}$/.test(text.slice(slash + 1)) || prefix > max) return "expected a CIDR range such as 10.0.0.0/8 or fd00::/8";
    return { kind: "ip", address: ip.address, prefix, family: ip.family };
  }
  const ip = normalizeIp(unbracket(text));
  if (ip) return { kind: "ip", address: ip.address, prefix: ip.family === "ipv4" ? 32 : 128, family: ip.family };
  if (text.startsWith("*.")) {
    return NAME.test(text.slice(2)) ? { kind: "suffix", suffix: text.slice(1) } : "expected *. followed by a host name";
  }
  return NAME.test(text) ? { kind: "name", name: text } : "expected a host name, IP address or CIDR range";
}

/** Why a config entry is unusable, or undefined when it is fine. */
export function checkAllowedHost(entry: string): string | undefined {
  const parsed = parseEntry(entry);
  return typeof parsed === "string" ? parsed : undefined;
}

export function callbackTargets(entries: readonly string[]): CallbackTargets {
  if (entries.length === 0) return { allows: () => true };
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges = new BlockList();
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (typeof parsed === "string") throw new Error(`callback.allowed_hosts: ${parsed}`);
    if (parsed.kind === "name") names.add(parsed.name);
    else if (parsed.kind === "suffix") suffixes.push(parsed.suffix);
    else ranges.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return {
    allows(host) {
      const bare = unbracket(host.trim().toLowerCase());
      const ip = normalizeIp(bare);
      if (ip) return ranges.check(ip.address, ip.family);
      // A trailing dot names the same host; strip it so it cannot dodge a match.
      const name = bare.endsWith(".") ? bare.slice(0, -1) : bare;
      return names.has(name) || suffixes.some((s) => name.endsWith(s));
    },
  };
}
