// One JSON object per line on stdout, so log shippers need no parsing rules.
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const at = (name: Exclude<LogLevel, "silent">) => (msg: string, fields?: Fields) => {
    if (ORDER[name] < ORDER[level]) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: name, msg, ...fields }, errorReplacer) + "\n");
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function errorReplacer(_key: string, value: unknown) {
  return value instanceof Error ? { message: value.message, stack: value.stack } : value;
}

export const silentLogger: Logger = createLogger("silent");
