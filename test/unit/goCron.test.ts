import assert from "node:assert/strict";
import { test } from "node:test";
import { nextCronFire } from "../../src/calendar/cron.js";
import { convertGoCron } from "../../src/calendar/goCron.js";

// The original's cron (gorhill/cronexpr as easytask (Go) used it) turned
// into easytask's: each case checks the expression written and, where the
// meaning is the point, the times it fires at.

const ms = (iso: string) => Date.parse(iso);
const NOW = ms("2026-12-02T00:00:00Z");

function converted(expr: string, zone = "UTC", now = NOW) {
  const c = convertGoCron(expr, zone, now);
  assert.ok(c.ok, `${expr}: ${c.ok ? "" : c.reason}`);
  return c;
}

function refused(expr: string, reason: RegExp) {
  const c = convertGoCron(expr, "UTC", NOW);
  assert.ok(!c.ok, `${expr} should be refused, became ${c.ok ? c.cron : ""}`);
  assert.match(c.reason, reason);
}

// The first `n` fire times of the converted expression from `from` on, within its bounds.
function fires(expr: string, n: number, from = NOW, zone = "UTC"): string[] {
  const c = converted(expr, zone, from);
  const out: string[] = [];
  for (let t = nextCronFire(c.cron, Math.max(from, c.startAt - 1), zone); t !== null && out.length < n && (!c.endAt || t <= c.endAt); t = nextCronFire(c.cron, t, zone)) {
    out.push(new Date(t).toISOString().replace(".000Z", "Z"));
  }
  return out;
}

test("6 fields are minute … year: 0 9 * * 1 * is 09:00 every Monday", () => {
  assert.equal(converted("0 9 * * 1 *").cron, "0 0 9 * * 1");
  assert.deepEqual(fires("0 9 * * 1 *", 2), ["2026-12-07T09:00:00Z", "2026-12-14T09:00:00Z"]);
});

test("5 fields keep their meaning, with seconds 0", () => {
  assert.equal(converted("*/15 * * * *").cron, "0 */15 * * * *");
  assert.equal(converted("05 09 * * *").cron, "0 5 9 * * *");
  assert.equal(converted("0 12 * * mon-fri").cron, "0 0 12 * * 1-5");
});

test("7 fields are seconds … year", () => {
  assert.equal(converted("*/10 * * * * * *").cron, "*/10 * * * * *");
  assert.equal(converted("*/30 * * * * * *").cron, "*/30 * * * * *");
  assert.equal(converted("30 0 9 * * * 2026-2099").cron, "30 0 9 * * *");
});

test("a year or a run of years becomes start_at and end_at, in the time zone", () => {
  const c = converted("0 9 * * 1 2027", "Asia/Shanghai");
  assert.equal(c.cron, "0 0 9 * * 1");
  assert.equal(c.startAt, ms("2026-12-31T16:00:00Z"));
  assert.equal(c.endAt, ms("2027-12-31T15:59:59Z"));
  assert.deepEqual(fires("0 9 * * 1 2027", 1, NOW, "Asia/Shanghai"), ["2027-01-04T01:00:00Z"]);
  const current = converted("0 12 * * * 2026-2027");
  assert.equal(current.startAt, 0, "a start already past is no bound");
  assert.equal(current.endAt, ms("2027-12-31T23:59:59Z"));
  assert.deepEqual(fires("0 0 31 12 * 2026", 3), ["2026-12-31T00:00:00Z"]);
});

test("years that are over, or not one run, cannot be kept", () => {
  refused("0 9 * * 1 2020-2025", /years \(2020-2025\) are over/);
  refused("0 9 * * 1 2024", /years \(2024\) are over/);
  refused("0 9 * * 1 2027,2029", /year field "2027,2029" is not one run of years/);
  refused("0 9 * * 1 2026-2030/2", /not one run of years/);
});

test("? is a wildcard in every field; names in any case, long or short", () => {
  assert.equal(converted("0 ? * * ?").cron, "0 0 * * * *");
  assert.equal(converted("0 8 * JAN-mar Monday").cron, "0 0 8 * 1-3 1");
  assert.equal(converted("0 8 * december sat,SUN").cron, "0 0 8 * 12 0,6");
});

test("macros, wherever they stand", () => {
  assert.equal(converted("@hourly").cron, "0 0 * * * *");
  assert.equal(converted("@daily").cron, "0 0 0 * * *");
  assert.equal(converted("@weekly").cron, "0 0 0 * * 0");
  assert.equal(converted("@monthly").cron, "0 0 0 1 * *");
  assert.equal(converted("@yearly").cron, "0 0 0 1 1 *");
  assert.equal(converted("@annually").cron, "0 0 0 1 1 *");
  assert.equal(converted("  @daily ").cron, "0 0 0 * * *");
});

test("steps and ranges are read as cronexpr reads them", () => {
  assert.equal(converted("5/15 * * * *").cron, "0 5-50/15 * * * *");
  assert.equal(converted("10-40/10 * * * *").cron, "0 10-40/10 * * * *");
  assert.equal(converted("*/7 * * * *").cron, "0 */7 * * * *");
  assert.equal(converted("*/1 */1 * * *").cron, "0 * * * * *");
  assert.equal(converted("0 0-23/6 * * *").cron, "0 0 */6 * * *");
  assert.equal(converted("1,2,3,7 * * * *").cron, "0 1-3,7 * * * *");
  assert.equal(converted("0 0 * * */2").cron, "0 0 0 * * 0-6/2");
});

test("day 7 is Sunday, but a range ending at 7 is empty in cronexpr", () => {
  assert.equal(converted("0 0 * * 7").cron, "0 0 0 * * 0");
  refused("0 0 * * 1-7", /day-of-week "1-7" reads as 1-0 in easytask \(Go\), an empty range\): it never fired there/);
  // With a day of month as well, only the days of month are left.
  assert.equal(converted("0 0 1 * 5-7").cron, "0 0 0 1 * *");
});

test("a month with a leading zero reads as 0 in cronexpr", () => {
  refused("0 0 1 01 *", /month "01" reads as 0 in easytask \(Go\), which no date has/);
  assert.equal(converted("0 0 1 01,6 *").cron, "0 0 0 1 6 *");
});

test("day of month and day of week: either matches when both are restricted", () => {
  assert.equal(converted("0 0 13 * 5").cron, "0 0 0 13 * 5");
  assert.deepEqual(fires("0 0 13 * 5", 3), ["2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"]);
  // A wildcard entry leaves its field unrestricted: Fridays only.
  assert.equal(converted("0 0 *,13 * 5").cron, "0 0 0 * * 5");
  // Every day of month, restricted, still ORs with Mondays: every day.
  assert.equal(converted("0 0 1-31 * 1").cron, "0 0 0 1-31 * 1");
  assert.deepEqual(fires("0 0 1-31 * 1", 2), ["2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"]);
});

test("L and # carry over; the nearest weekday W does not", () => {
  assert.deepEqual(fires("0 0 L * *", 2), ["2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"]);
  assert.deepEqual(fires("0 0 1,L * *", 2), ["2026-12-31T00:00:00Z", "2027-01-01T00:00:00Z"]);
  assert.deepEqual(fires("0 0 * * 5L", 2), ["2026-12-25T00:00:00Z", "2027-01-29T00:00:00Z"]);
  assert.deepEqual(fires("0 0 * * 1L,5L", 2), ["2026-12-25T00:00:00Z", "2026-12-28T00:00:00Z"]);
  assert.deepEqual(fires("0 0 * * 5#3", 2), ["2026-12-18T00:00:00Z", "2027-01-15T00:00:00Z"]);
  refused("0 9 15W * *", /day-of-month "15w" \(the weekday nearest a day\) has no equivalent/);
  refused("0 9 LW * *", /day-of-month "lw"/);
  refused("0 0 * * 1,5L", /mixes "#" or "L" with other days/);
  refused("0 0 * * 1#1,5#3", /mixes "#" or "L" with other days/);
});

test("what the original could not parse either is said so", () => {
  refused("", /could not parse it either \(it is empty\)/);
  refused("* * * *", /could not parse it either \(missing field\(s\)\)/);
  refused("x * * * *", /syntax error in minute field: 'x'/);
  refused("60 * * * *", /syntax error in minute field: '60'/);
  refused("*/0 * * * *", /invalid interval \*\/0/);
  refused("*/60 * * * *", /invalid interval \*\/60/);
  refused("0 0 * * 8", /syntax error in day-of-week field: '8'/);
  refused("@every 5m", /could not parse it either/);
});

test("fields past the seventh are ignored, as cronexpr does", () => {
  assert.equal(converted("0 0 0 * * * * ignored").cron, "0 0 0 * * *");
  assert.equal(converted("0\t9  * * 1").cron, "0 0 9 * * 1");
});

test("a date that never comes is refused rather than kept as a task that never fires", () => {
  refused("0 0 30 2 *", /its equivalent "0 0 0 30 2 \*" is refused here: .*day of month/);
  refused("0 0 29 2 * 2027", /it matches no time as easytask \(Go\) reads it: it never fired there/);
});
