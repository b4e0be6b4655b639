import { nextCronFire, validateCron } from "./cron.js";

// The Go original's cron (github.com/gorhill/cronexpr) turned into an
// expression that means the same here. Its dialect differs from ours: 5 fields
// are minute … day-of-week, 6 fields are minute … YEAR (ours: seconds first),
// 7 fields are seconds … year; macros may appear anywhere in the text; "?"
// is a wildcard in any field. The expression is read exactly as cronexpr reads
// it (its token tables and quirks included: month "01" is 0 and never
// matches, a day-of-week range ending at 7 is empty because 7 is read as 0),
// into the sets of values it matches, and written back from those sets, so
// the meaning carries over whatever the spelling. A year field becomes the
// task's start_at/end_at. What has no equivalent here (the nearest weekday
// "W", a list of years with gaps, "#" or "L" mixed with other days) is
// reported with the reason, never approximated.

// The original read its crons in its process's local time zone: most likely
// this machine's, the default of easytask_go.time_zone.
export const localTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

export type GoCronConversion =
  // start_at/end_at in epoch ms (0: unbounded), from the year field.
  | { ok: true; cron: string; startAt: number; endAt: number }
  | { ok: false; reason: string };

class Unconvertible extends Error {}

// cronexpr's numberTokens: 0–59 (and 00–09), and the years it knows. Any
// other text reads as 0, as a missing key of a Go map does.
const NUMBERS = new Map<string, number>();
for (let i = 0; i < 60; i++) NUMBERS.set(String(i), i);
for (let i = 0; i < 10; i++) NUMBERS.set(`0${i}`, i);
for (let y = 1970; y <= 2099; y++) NUMBERS.set(String(y), y);
const atoi = (s: string) => NUMBERS.get(s) ?? 0;

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_LONG = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
const MONTHS = new Map<string, number>();
MONTH_NAMES.forEach((name, i) => [String(i + 1), name, MONTH_LONG[i]!].forEach((t) => MONTHS.set(t, i + 1)));
const DOW_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const DOW_LONG = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const DOWS = new Map<string, number>([["7", 0]]);
DOW_NAMES.forEach((name, i) => [String(i), name, DOW_LONG[i]!].forEach((t) => DOWS.set(t, i)));

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  value: string;
  atoi: (s: string) => number;
}

const field = (name: string, min: number, max: number, value: string, read = atoi): FieldSpec => ({ name, min, max, value, atoi: read });
const SECOND = field("second", 0, 59, "0?[0-9]|[1-5][0-9]");
const MINUTE = field("minute", 0, 59, "0?[0-9]|[1-5][0-9]");
const HOUR = field("hour", 0, 23, "0?[0-9]|1[0-9]|2[0-3]");
const DOM = field("day-of-month", 1, 31, "0?[1-9]|[12][0-9]|3[01]");
const MONTH = field("month", 1, 12, `0?[1-9]|1[012]|${MONTH_NAMES.join("|")}|${MONTH_LONG.join("|")}`, (s) => MONTHS.get(s) ?? 0);
const DOW = field("day-of-week", 0, 6, `0?[0-7]|${DOW_NAMES.join("|")}|${DOW_LONG.join("|")}`, (s) => DOWS.get(s) ?? 0);
const YEAR = field("year", 1970, 2099, "19[789][0-9]|20[0-9]{2}");

const MACROS: Record<string, string> = {
  "@yearly": "0 0 0 1 1 * *",
  "@annually": "0 0 0 1 1 * *",
  "@monthly": "0 0 0 1 * * *",
  "@weekly": "0 0 0 * * 0 *",
  "@daily": "0 0 0 * * * *",
  "@hourly": "0 0 * * * * *",
};

type Directive =
  | { kind: "all" }
  | { kind: "values"; values: number[] }
  // Text only the day fields may read: L, LW, 15W, 5L, 5#3.
  | { kind: "special"; text: string };

const range = (first: number, last: number, step: number) => {
  const values: number[] = [];
  for (let v = first; v <= last; v += step) values.push(v);
  return values;
};

// One comma-separated entry of a field, as cronexpr's genericFieldParse reads it.
function directive(entry: string, spec: FieldSpec, notes: string[]): Directive {
  const v = `(${spec.value})`;
  const match = (layout: string) => new RegExp(`^${layout}$`).exec(entry);
  const step = (text: string) => {
    const n = atoi(text);
    if (n < 1 || n > spec.max) throw new Unconvertible(`easytask (Go) could not parse it either (invalid interval ${entry})`);
    return n;
  };
  // A token the Go tables read as a value no date has (month "01" is 0).
  const read = (token: string) => {
    const value = spec.atoi(token);
    if (value < spec.min) notes.push(`${spec.name} "${token}" reads as ${value} in easytask (Go), which no date has`);
    return value;
  };
  let m: RegExpExecArray | null;
  if (entry === "*" || entry === "?") return { kind: "all" };
  if ((m = match(v))) return { kind: "values", values: [read(m[1]!)] };
  const spanOf = (first: string, last: string, by: number): Directive => {
    const [a, b] = [read(first), read(last)];
    if (a > b) notes.push(`${spec.name} "${entry}" reads as ${a}-${b} in easytask (Go), an empty range`);
    return { kind: "values", values: range(a, b, by) };
  };
  if ((m = match(`${v}-${v}`))) return spanOf(m[1]!, m[2]!, 1);
  if ((m = match(String.raw`\*/(\d+)`))) return { kind: "values", values: range(spec.min, spec.max, step(m[1]!)) };
  if ((m = match(String.raw`${v}/(\d+)`))) return { kind: "values", values: range(read(m[1]!), spec.max, step(m[2]!)) };
  if ((m = match(String.raw`${v}-${v}/(\d+)`))) return spanOf(m[1]!, m[2]!, step(m[3]!));
  return { kind: "special", text: entry };
}

interface Field {
  // Undefined: every value (a wildcard entry).
  values?: Set<number>;
}

function readField(text: string, spec: FieldSpec, notes: string[]): Field {
  const entries = (text.match(/[^,]+/g) ?? []).map((e) => e.toLowerCase());
  if (entries.length === 0) throw new Unconvertible(`easytask (Go) could not parse it either (${spec.name} field: missing directive)`);
  const directives = entries.map((e) => directive(e, spec, notes));
  const values = new Set<number>();
  // As genericFieldHandler: a wildcard returns at once, before any later entry is checked.
  for (const [i, d] of directives.entries()) {
    if (d.kind === "all") return {};
    if (d.kind === "special") throw new Unconvertible(`easytask (Go) could not parse it either (syntax error in ${spec.name} field: '${entries[i]}')`);
    d.values.forEach((x) => values.add(x));
  }
  return { values };
}

interface DayFields {
  domRestricted: boolean;
  days: Set<number>;
  lastDay: boolean;
  dowRestricted: boolean;
  weekdays: Set<number>;
  // 5L: the last Friday of the month.
  lastWeekdays: Set<number>;
  // 5#3: the third Friday, as [weekday, nth].
  nthWeekdays: [number, number][];
}

function readDays(domText: string, dowText: string, notes: string[]): DayFields {
  const d: DayFields = { domRestricted: true, days: new Set(), lastDay: false, dowRestricted: true, weekdays: new Set(), lastWeekdays: new Set(), nthWeekdays: [] };
  const entries = (text: string, spec: FieldSpec) => {
    const list = (text.match(/[^,]+/g) ?? []).map((e) => e.toLowerCase());
    if (list.length === 0) throw new Unconvertible(`easytask (Go) could not parse it either (${spec.name} field: missing directive)`);
    return list.map((e) => [e, directive(e, spec, notes)] as const);
  };
  for (const [entry, dir] of entries(domText, DOM)) {
    if (dir.kind === "all") d.domRestricted = false;
    else if (dir.kind === "values") dir.values.forEach((x) => d.days.add(x));
    else if (entry === "l") d.lastDay = true;
    else if (entry === "lw" || new RegExp(`^(${DOM.value})w$`).test(entry)) {
      throw new Unconvertible(`its day-of-month "${entry}" (the weekday nearest a day) has no equivalent in easytask`);
    } else throw new Unconvertible(`easytask (Go) could not parse it either (syntax error in day-of-month field: '${entry}')`);
  }
  for (const [entry, dir] of entries(dowText, DOW)) {
    let m: RegExpExecArray | null;
    if (dir.kind === "all") d.dowRestricted = false;
    else if (dir.kind === "values") dir.values.forEach((x) => d.weekdays.add(x));
    else if ((m = new RegExp(`^(${DOW.value})l$`).exec(entry))) d.lastWeekdays.add(DOW.atoi(m[1]!));
    else if ((m = new RegExp(`^(${DOW.value})#([1-5])$`).exec(entry))) d.nthWeekdays.push([DOW.atoi(m[1]!) % 7, Number(m[2])]);
    else throw new Unconvertible(`easytask (Go) could not parse it either (syntax error in day-of-week field: '${entry}')`);
  }
  // A wildcard entry anywhere in the list makes cronexpr's whole field unrestricted.
  if (!d.domRestricted) Object.assign(d, { days: new Set(), lastDay: false });
  if (!d.dowRestricted) Object.assign(d, { weekdays: new Set(), lastWeekdays: new Set(), nthWeekdays: [] });
  return d;
}

// Values written back compactly: "*", "*/15", "0-30/10", "1-5", "1,3". The
// day fields keep "*" for a wildcard alone: a restricted field that holds
// every day still ORs with the other day field.
function listText(values: Set<number>, spec: FieldSpec, dayField = false): string {
  const sorted = [...values].filter((x) => x >= spec.min && x <= spec.max).sort((a, b) => a - b);
  if (sorted.length === spec.max - spec.min + 1 && !dayField) return "*";
  const step = sorted.length >= 2 ? sorted[1]! - sorted[0]! : 0;
  if (step > 1 && sorted.every((x, i) => x === sorted[0]! + i * step)) {
    const last = sorted.at(-1)!;
    // cron-parser reads a day-of-week step up to 7, so days are listed there.
    if (spec !== DOW && sorted[0] === spec.min && last + step > spec.max) return `*/${step}`;
    if (sorted.length >= 3) return `${sorted[0]}-${last}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(","));
    i = j + 1;
  }
  return parts.join(",");
}

function nonEmpty(values: Set<number> | undefined, spec: FieldSpec, notes: string[]): string {
  if (values === undefined) return "*";
  const text = listText(values, spec);
  if (text === "") throw new Unconvertible(neverFires(notes));
  return text;
}

const neverFires = (notes: string[]) => `it matches no time as easytask (Go) reads it${notes.length ? ` (${notes.join("; ")})` : ""}: it never fired there`;

// The day-of-month and day-of-week fields. cronexpr, like cron-parser, runs
// on the days of either field when both are restricted, on those of the
// restricted one otherwise; an empty restricted field adds no day.
function dayTexts(d: DayFields, notes: string[]): [string, string] {
  const domParts = [listText(d.days, DOM, true), d.lastDay ? "L" : ""].filter((p) => p !== "");
  const plain = listText(d.weekdays, DOW, true);
  const kinds = [plain !== "", d.lastWeekdays.size > 0, d.nthWeekdays.length > 0].filter(Boolean).length;
  if (kinds > 1 || d.nthWeekdays.length > 1) {
    throw new Unconvertible(`its day-of-week field mixes "#" or "L" with other days, which easytask cannot express`);
  }
  const dowText = plain || [...d.lastWeekdays].sort().map((x) => `${x}L`).join(",") || d.nthWeekdays.map(([w, n]) => `${w}#${n}`).join("");
  const domText = domParts.join(",");
  const domSome = d.domRestricted && domText !== "";
  const dowSome = d.dowRestricted && dowText !== "";
  if ((d.domRestricted && !domSome && !dowSome) || (d.dowRestricted && !dowSome && !domSome)) throw new Unconvertible(neverFires(notes));
  return [domSome ? domText : "*", dowSome ? dowText : "*"];
}

// The first instant of a year in a time zone (its local midnight of 1 January).
const yearStart = (year: number, timeZone: string) => nextCronFire("0 0 0 1 1 *", Date.UTC(year - 1, 11, 29), timeZone)!;

function yearBounds(years: Set<number> | undefined, text: string, timeZone: string, now: number): { startAt: number; endAt: number } {
  if (years === undefined) return { startAt: 0, endAt: 0 };
  const sorted = [...years].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Unconvertible(`its year field "${text}" holds no year`);
  const [first, last] = [sorted[0]!, sorted.at(-1)!];
  if (last - first + 1 !== sorted.length) {
    throw new Unconvertible(`its year field "${text}" is not one run of years, and easytask bounds a task's years only by start_at and end_at`);
  }
  const startAt = yearStart(first, timeZone);
  const endAt = yearStart(last + 1, timeZone) - 1000;
  if (endAt <= now) throw new Unconvertible(`its years (${first === last ? first : `${first}-${last}`}) are over: easytask (Go) would not fire it again`);
  return { startAt: startAt > now ? startAt : 0, endAt };
}

export function convertGoCron(expr: string, timeZone: string, now: number): GoCronConversion {
  try {
    const text = expr.replace(/@(yearly|annually|monthly|weekly|daily|hourly)/g, (m) => MACROS[m]!);
    // cronexpr ignores fields beyond the seventh.
    const fields = (text.match(/\S+/g) ?? []).slice(0, 7);
    if (fields.length < 5) throw new Unconvertible(`easytask (Go) could not parse it either (${fields.length === 0 ? "it is empty" : "missing field(s)"})`);
    const [second, rest] = fields.length === 7 ? [fields[0]!, fields.slice(1)] : ["0", fields];
    const [minute, hour, dom, month, dow, year] = rest as [string, string, string, string, string, string | undefined];
    const notes: string[] = [];
    const parsed = {
      second: readField(second, SECOND, notes),
      minute: readField(minute, MINUTE, notes),
      hour: readField(hour, HOUR, notes),
      days: readDays(dom, dow, notes),
      month: readField(month, MONTH, notes),
      year: year === undefined ? {} : readField(year, YEAR, notes),
    };
    const [domText, dowText] = dayTexts(parsed.days, notes);
    const cron = [
      nonEmpty(parsed.second.values, SECOND, notes),
      nonEmpty(parsed.minute.values, MINUTE, notes),
      nonEmpty(parsed.hour.values, HOUR, notes),
      domText,
      nonEmpty(parsed.month.values, MONTH, notes),
      dowText,
    ].join(" ");
    const { startAt, endAt } = yearBounds(parsed.year.values, year ?? "*", timeZone, now);
    try {
      validateCron(cron, timeZone);
    } catch (err) {
      throw new Unconvertible(`its equivalent "${cron}" is refused here: ${(err as Error).message}`);
    }
    const first = nextCronFire(cron, Math.max(now, startAt - 1), timeZone);
    if (first === null || (endAt && first > endAt)) throw new Unconvertible(neverFires(notes));
    return { ok: true, cron, startAt, endAt };
  } catch (err) {
    if (err instanceof Unconvertible) return { ok: false, reason: err.message };
    throw err;
  }
}
