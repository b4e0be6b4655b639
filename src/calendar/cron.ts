import { CronExpressionParser, type CronExpression } from "cron-parser";

// Carries the request field to blame, so the API layer can map it onto an
// INVALID_ARGUMENT error without parsing the message.
export class ScheduleError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "ScheduleError";
  }
}

const DEFAULT_TZ = "UTC";

// Spelled out here rather than handed to cron-parser by name: its own table is
// not exported from the package entry point, and keeping the list local means a
// library upgrade cannot silently widen what the API accepts.
const MACROS: ReadonlyMap<string, string> = new Map([
  ["@yearly", "0 0 0 1 1 *"],
  ["@annually", "0 0 0 1 1 *"],
  ["@monthly", "0 0 0 1 * *"],
  ["@weekly", "0 0 0 * * 0"],
  ["@daily", "0 0 0 * * *"],
  ["@hourly", "0 0 * * * *"],
]);

const FIELD_COUNT_HELP =
  'expected 5 fields (minute hour day-of-month month day-of-week), 6 fields (second minute hour day-of-month month day-of-week) or 7 fields (second … day-of-week year, with "*" as the year)';

const YEAR_HELP =
  'time_cron: 7-field expressions (seconds … year) are only accepted with "*" as the year; note that 6 fields mean seconds … day-of-week here, whereas easytask-go read 6 fields as minute … year';

// Turns what the user wrote into the 5- or 6-field text cron-parser reads, or
// refuses it. cron-parser alone is too lenient for an API: it reads "" as
// "every minute", silently takes 1–4 fields as a suffix of the full form, and
// gives "H" a random value on every parse.
function normalize(expr: string): string {
  if (typeof expr !== "string" || expr.trim() === "") {
    throw new ScheduleError("time_cron", "time_cron: the cron expression is empty");
  }
  const text = expr.trim();
  if (text.startsWith("@")) {
    const expanded = MACROS.get(text);
    if (expanded === undefined) {
      throw new ScheduleError(
        "time_cron",
        `time_cron: unknown macro "${text}"; supported: ${[...MACROS.keys()].join(", ")}`,
      );
    }
    return expanded;
  }
  let fields = text.split(/\s+/);
  if (fields.length < 5 || fields.length > 7) {
    throw new ScheduleError("time_cron", `time_cron: "${text}" has ${fields.length} field(s); ${FIELD_COUNT_HELP}`);
  }
  if (fields.length === 7) {
    const year = fields[6];
    if (year !== "*" && year !== "?") throw new ScheduleError("time_cron", `${YEAR_HELP} (got year "${year}")`);
    fields = fields.slice(0, 6);
  }
  fields.forEach((field, i) => {
    // Month and day-of-week (always the last two) accept three-letter names
    // such as THU, whose H is not the hash marker.
    const bare = i >= fields.length - 2 ? field.replace(/[a-z]{3}/gi, "") : field;
    if (bare.includes("H")) {
      throw new ScheduleError(
        "time_cron",
        `time_cron: "H" (hashed random values) is not supported, in field "${field}" of "${text}"`,
      );
    }
  });
  return fields.join(" ");
}

export function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    throw new ScheduleError("time_zone", `time_zone: "${tz}" is not a known IANA time zone (e.g. "UTC", "Asia/Shanghai")`);
  }
}

// Parsing costs about three times as much as reset()+next() on an already
// parsed expression, and the scheduler recomputes the same few expressions on
// every run. Entries are never shared across a suspension point (everything
// here is synchronous), so mutating one through reset() is safe.
const CACHE_LIMIT = 1000;
const cache = new Map<string, CronExpression>();

function compile(expr: string, tz: string | undefined): CronExpression {
  const zone = tz || DEFAULT_TZ;
  const key = `${zone}\u0000${expr}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Re-inserting keeps Map order roughly least-recently-used first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const normalized = normalize(expr);
  checkTimeZone(zone);
  let parsed: CronExpression;
  try {
    parsed = CronExpressionParser.parse(normalized, { tz: zone, currentDate: 0 });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // Only day-of-month can mean Quartz's W; elsewhere a W is part of a name like WED.
    const dayOfMonth = normalized.split(" ").at(-3) ?? "";
    const hint = /w/i.test(dayOfMonth) ? ' (the "W" nearest-weekday modifier is not supported)' : "";
    throw new ScheduleError("time_cron", `time_cron: invalid expression "${expr.trim()}": ${reason}${hint}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, parsed);
  return parsed;
}

// An empty or missing tz means UTC, so a task row with no time zone column
// value behaves like one stored as "UTC".
export function validateCron(expr: string, tz?: string): void {
  compile(expr, tz);
}

export function nextCronFire(expr: string, afterMs: number, tz?: string): number | null {
  if (!Number.isFinite(afterMs)) throw new RangeError(`nextCronFire: afterMs must be a finite epoch-ms value, got ${afterMs}`);
  const cron = compile(expr, tz);
  cron.reset(new Date(afterMs));
  try {
    return cron.next().getTime();
  } catch {
    // Without start/end dates the only way next() fails is by giving up its
    // bounded search, i.e. the expression matches no date in reach (say, the
    // fifth Monday of a February that never comes): report "never fires".
    return null;
  }
}
