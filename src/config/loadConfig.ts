import { readFileSync } from "node:fs";
import { ConfigError, expected } from "./errors.js";
import { SECTIONS, isObject, resolveConfig, specFor } from "./config.js";
import type { Config, EnvKind } from "./config.js";

export { ConfigError } from "./errors.js";

const ENV_PREFIX = "EASYTASK_";
// The test harness owns these (e.g. EASYTASK_TEST_MYSQL_URL); they are not config.
const ENV_IGNORED_PREFIX = "EASYTASK_TEST_";
// What the SDKs' examples and task servers read, often from the environment
// (or compose env file) the server starts from: never config keys.
export const CLIENT_ENV = new Set(["EASYTASK_URL", "EASYTASK_TOKEN", "EASYTASK_SECRET"]);

export interface Args {
  configPath?: string;
  // --help / --version: print and exit, start nothing.
  help?: true;
  version?: true;
}

export const USAGE = `Usage: easytask [-c FILE | --config FILE]
       easytask --help | --version

Runs one easytask node: the API (Connect, gRPC, gRPC-Web and the documented
JSON paths) and the web console (/console/) on api_server.http.port (8801),
and the scheduler while this node leads. Without a file it runs standalone on
./data/easytask.db. SIGTERM or SIGINT stops it after the callbacks in flight.

  -c, --config FILE  the configuration: JSON, the Go original's conf.json keys
  -h, --help         print this and exit
  -v, --version      print the version and exit

Every key can be set by an environment variable too: EASYTASK_ and the key in
upper case, __ between levels (EASYTASK_API_SERVER__HTTP__PORT=9000,
EASYTASK_AUTH__TOKENS=...). The keys are listed in the README.
`;

/** Parses process.argv.slice(2): `-c FILE`, `--config FILE`, `--config=FILE` (also `-c=FILE`), `--help`, `--version`. */
export function parseArgs(argv: string[]): Args {
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-h" || arg === "--help") return { help: true };
    if (arg === "-v" || arg === "--version") return { version: true };
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    if (flag !== "-c" && flag !== "--config") {
      throw new ConfigError(`config: unknown ${arg.startsWith("-") ? "flag" : "argument"} "${arg}" (usage: easytask [-c FILE | --config FILE], or --help)`);
    }
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === "" || (eq < 0 && value.startsWith("-"))) {
      throw new ConfigError(`config: ${flag} needs a file path`);
    }
    configPath = value;
  }
  return configPath === undefined ? {} : { configPath };
}

/** File (if any), then EASYTASK_* environment overrides, then validation and defaults. */
export function loadConfig(opts: { configPath?: string; env?: NodeJS.ProcessEnv }): Config {
  const raw = new Map<string, unknown>();
  if (opts.configPath !== undefined) flatten(readJsonObject(opts.configPath), "", raw);
  const { origin, env } = applyEnv(opts.env ?? process.env, raw);
  return { ...resolveConfig(raw, origin), env };
}

function readJsonObject(path: string): Record<string, unknown> {
  let text: string;
  try {
    // Editors on Windows like to prepend a BOM, which JSON.parse rejects.
    text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  } catch (err) {
    throw new ConfigError(`config: cannot read config file "${path}": ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config: invalid JSON in "${path}": ${describeJsonError(text, (err as Error).message)}`);
  }
  if (!isObject(value)) throw new ConfigError(`config: "${path}" must hold a JSON object, got ${typeof value}`);
  return value;
}

// V8 reports "... in JSON at position N" for most errors, but for "Unexpected token" it quotes the
// source instead (multi-line, and possibly a password). The offending token is the first prefix
// that fails the same way, so a binary search over prefixes recovers its position.
function describeJsonError(text: string, message: string): string {
  let reason = message;
  let pos: number | undefined;
  const at = /^(.*?)(?: in JSON)? at position (\d+)/s.exec(message);
  const token = /^(Unexpected token '.*?'),/s.exec(message);
  if (at) {
    [reason, pos] = [at[1]!, Number(at[2])];
  } else if (token) {
    reason = token[1]!;
    const failsSo = (n: number) => {
      try {
        JSON.parse(text.slice(0, n));
        return false;
      } catch (e) {
        return (e as Error).message.startsWith(`${reason},`);
      }
    };
    let [lo, hi] = [0, text.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (failsSo(mid)) hi = mid;
      else lo = mid + 1;
    }
    pos = lo - 1;
  }
  reason = reason.replace(/\s+/g, " ");
  if (pos === undefined) return reason;
  const before = text.slice(0, pos).split("\n");
  return `${reason} at line ${before.length}, column ${before.at(-1)!.length + 1}`;
}


function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [name, value] of Object.entries(obj)) {
    const key = prefix + name;
    // Go's encoding/json leaves a field unset on null; do the same so Go configs load unchanged.
    if (value === null) continue;
    if (specFor(key)) out.set(key, value);
    else if (!SECTIONS.has(key)) throw new ConfigError(`config: unknown key ${JSON.stringify(key)}`);
    else if (isObject(value)) flatten(value, `${key}.`, out);
    else expected(key, "an object", value);
  }
}

/**
 * EASYTASK_API_SERVER__HTTP__PORT → "api_server.http.port". Returns key → variable name, and
 * the variables not read. The environment is shared with other programs (the SDKs read
 * EASYTASK_URL …), so a name that matches no key is only reported, unless it is written as a
 * config key would be (`__` nesting, or a section's name): that is a misspelt key, and going on
 * without it could leave, say, the API open (EASYTASK_AUTH__TOKEN).
 */
function applyEnv(env: NodeJS.ProcessEnv, out: Map<string, unknown>): { origin: Map<string, string>; env: Config["env"] } {
  const origin = new Map<string, string>();
  const notRead: Config["env"] = { forClients: [], unknown: [] };
  for (const [name, text] of Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!name.startsWith(ENV_PREFIX) || name.startsWith(ENV_IGNORED_PREFIX) || text === undefined) continue;
    const key = name.slice(ENV_PREFIX.length).toLowerCase().split("__").join(".");
    const spec = specFor(key);
    if (spec) {
      out.set(key, fromEnv(spec.env, text, name));
      origin.set(key, name);
    } else if (CLIENT_ENV.has(name)) {
      notRead.forClients.push(name);
    } else if (key.includes(".") || SECTIONS.has(key)) {
      throw new ConfigError(`config: environment variable ${name} matches no config key`);
    } else {
      notRead.unknown.push(name);
    }
  }
  return { origin, env: notRead };
}

const listOf = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");

// Unconvertible text is passed through as-is so validation reports it against the key's rule.
function fromEnv(kind: EnvKind, text: string, name: string): unknown {
  switch (kind) {
    case "string":
      return text;
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : text;
    }
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "list":
      return listOf(text);
    // A JSON array (of objects, e.g. tokens with roles), or a comma-separated list.
    case "list_or_json":
      return text.trimStart().startsWith("[") ? fromEnv("json", text, name) : listOf(text);
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        throw new ConfigError(`config: environment variable ${name} must hold JSON`);
      }
  }
}
