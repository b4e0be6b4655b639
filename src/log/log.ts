import { pino } from "pino";
import { currentLogFields, type LogFields } from "./context.js";
import { REDACTED, REDACTED_PATHS, redactLine } from "./redaction.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

export type Fields = LogFields;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export interface LoggerOptions {
  // Where each line goes (one JSON object and "\n"); stdout by default.
  write?: (line: string) => void;
  // Values never to show (passwords, tokens), wherever they would appear.
  secrets?: readonly string[];
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
  };
}

// One JSON object per line (pino), so log shippers need no parsing rules:
// {"level":"info","time":"…","msg":"…", fields}. Lines logged while handling
// a request or a run carry its fields (trace_id, task_id …, see
// context.ts), and secrets are redacted by field name and by value.
export function createLogger(level: LogLevel, opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => process.stdout.write(line));
  const secrets = opts.secrets ?? [];
  const p = pino(
    {
      level,
      base: undefined,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A copy: pino merges the call's own fields (which win) into it.
      mixin: () => ({ ...currentLogFields() }),
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
    },
    { write: (line: string) => write(redactLine(line, secrets)) },
  );
  return wrap(p);
}

export const silentLogger: Logger = createLogger("silent");
