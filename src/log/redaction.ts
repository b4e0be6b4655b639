export const REDACTED = "[REDACTED]";

// Fields whose value is never logged, at any of the first three levels
// (pino's redact takes explicit paths, not a deep wildcard).
const SECRET_KEYS = ["password", "passwd", "token", "tokens", "secret", "authorization", "Authorization", "dsn", "api_key", "webhookUrl", "webhook_url"];
export const REDACTED_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

// Credentials inside free text (error messages of drivers, URLs):
// scheme://user:password@ and the Go DSN user:password@tcp(…), and bearer
// tokens.
// The text is JSON-escaped: a backslash starts an escape (\n), not a secret.
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@\\]*:)[^\s@/\\]*@/gi;
const GO_DSN = /(^|[\s'(=,]|\\n)([^\s:@/'(\\]*:)[^\s@\\]*@(tcp|unix)\(/gi;
const BEARER = /\b(bearer\s+)[^\s,;\\]+/gi;

// A JSON string literal, and whether it is an object key.
const JSON_STRING = /"((?:[^"\\]|\\.)*)"(\s*:)?/g;

function redactText(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_USERINFO, `$1${REDACTED}@`).replace(GO_DSN, `$1$2${REDACTED}@$3(`).replace(BEARER, `$1${REDACTED}`);
  for (const secret of secrets) out = out.replaceAll(secret, REDACTED);
  return out;
}

// Makes a serialized log line safe: within every string value (never keys
// or numbers, so the line stays valid JSON) hides credentials in URLs and
// DSNs, bearer tokens, and every configured secret, in whatever field or
// message text they ended up. Secrets are matched in their JSON-escaped
// form, which is how they appear in the line.
export function redactLine(line: string, secrets: readonly string[]): string {
  const escaped = secrets.filter((s) => s !== "").map((s) => JSON.stringify(s).slice(1, -1));
  return line.replace(JSON_STRING, (whole, body: string, key: string | undefined) => (key !== undefined ? whole : `"${redactText(body, escaped)}"`));
}
