// Lives apart from loadConfig.ts so config.ts and parseMysqlDsn.ts can throw it without an import cycle.
export class ConfigError extends Error {
  override name = "ConfigError";
}

const MAX_SHOWN = 80;

// JSON.stringify keeps the message on one line whatever the value holds.
export function show(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

export function fail(key: string, problem: string): never {
  throw new ConfigError(`config: ${key}: ${problem}`);
}

export function expected(key: string, what: string, got: unknown): never {
  return fail(key, `expected ${what}, got ${show(got)}`);
}
