import { test } from "node:test";
import assert from "node:assert/strict";
import { nextCronFire, ScheduleError, validateCron } from "../../src/calendar/cron.js";

const ms = (iso: string) => Date.parse(iso);

function assertRefused(fn: () => unknown, field: string, pattern: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ScheduleError, `expected ScheduleError, got ${String(err)}`);
    assert.equal(err.field, field);
    assert.match(err.message, pattern);
    return true;
  });
}

test("5 fields are standard cron: minute first", () => {
  assert.equal(nextCronFire("*/15 * * * *", ms("2026-01-15T12:07:00Z")), ms("2026-01-15T12:15:00Z"));
  assert.equal(nextCronFire("0 9 * * 1-5", ms("2026-01-16T10:00:00Z")), ms("2026-01-19T09:00:00Z"));
});

test("6 fields put seconds first", () => {
  assert.equal(nextCronFire("*/5 * * * * *", ms("2026-01-15T12:00:03Z")), ms("2026-01-15T12:00:05Z"));
});

test("the next fire is strictly after the given instant", () => {
  assert.equal(nextCronFire("*/5 * * * * *", ms("2026-01-15T12:00:05Z")), ms("2026-01-15T12:00:10Z"));
  assert.equal(nextCronFire("*/5 * * * * *", ms("2026-01-15T12:00:04.999Z")), ms("2026-01-15T12:00:05Z"));
  assert.equal(nextCronFire("*/5 * * * * *", ms("2026-01-15T12:00:05.001Z")), ms("2026-01-15T12:00:10Z"));
});

test("repeated calls with the same expression give independent answers", () => {
  const later = nextCronFire("0 0 * * * *", ms("2026-01-15T15:30:00Z"));
  const earlier = nextCronFire("0 0 * * * *", ms("2026-01-15T12:30:00Z"));
  assert.equal(later, ms("2026-01-15T16:00:00Z"));
  assert.equal(earlier, ms("2026-01-15T13:00:00Z"));
});

test("time zone: 09:00 in Asia/Shanghai is 01:00Z", () => {
  assert.equal(nextCronFire("0 0 9 * * *", ms("2026-01-15T00:00:00Z"), "Asia/Shanghai"), ms("2026-01-15T01:00:00Z"));
  assert.equal(nextCronFire("0 0 9 * * *", ms("2026-01-15T01:00:00Z"), "Asia/Shanghai"), ms("2026-01-16T01:00:00Z"));
});

test("no or empty time zone means UTC", () => {
  const after = ms("2026-01-15T00:00:00Z");
  assert.equal(nextCronFire("0 9 * * *", after), ms("2026-01-15T09:00:00Z"));
  assert.equal(nextCronFire("0 9 * * *", after, ""), ms("2026-01-15T09:00:00Z"));
  assert.equal(nextCronFire("0 9 * * *", after, "UTC"), ms("2026-01-15T09:00:00Z"));
});

test("7 fields with * or ? as the year equal the 6-field form", () => {
  const after = ms("2026-01-15T12:00:03Z");
  const six = nextCronFire("0 30 8 * * 1-5", after);
  assert.equal(six, ms("2026-01-16T08:30:00Z"));
  assert.equal(nextCronFire("0 30 8 * * 1-5 *", after), six);
  assert.equal(nextCronFire("0 30 8 * * 1-5 ?", after), six);
  validateCron("*/5 * * * * * *");
});

test("7 fields with an explicit year are refused with the reason", () => {
  assertRefused(
    () => validateCron("0 0 12 1 1 * 2027"),
    "time_cron",
    /7-field expressions \(seconds … year\) are only accepted with "\*" as the year; note that 6 fields mean seconds … day-of-week here, whereas easytask-go read 6 fields as minute … year/,
  );
  assertRefused(() => nextCronFire("0 0 12 1 1 * 2027", 0), "time_cron", /only accepted with "\*" as the year/);
});

test("garbage is refused", () => {
  const cases: Array<[string, RegExp]> = [
    ["* * * * * * * * *", /9 field\(s\); expected 5 fields/],
    ["hello", /1 field\(s\)/],
    ["* * * *", /4 field\(s\)/],
    ["", /empty/],
    ["   ", /empty/],
    ["61 * * * *", /invalid expression "61 \* \* \* \*": Constraint error, got value 61 expected range 0-59/],
    ["0 24 * * *", /expected range 0-23/],
    ["0 0 32 * *", /expected range 1-31/],
    ["*/0 * * * *", /cannot repeat/],
    ["1-2-3 * * * *", /Invalid range/],
    ["a * * * *", /Invalid characters/],
    ["0 0 * * MONDAY", /cannot resolve alias/],
    ["0 0 30 2 *", /Invalid explicit day of month/],
    ["0 0 15W * *", /"W" nearest-weekday modifier is not supported/],
    ["H * * * *", /"H" \(hashed random values\) is not supported/],
    ["0 0 * * H", /"H" \(hashed random values\) is not supported/],
    ["@every 1h", /unknown macro "@every 1h"/],
  ];
  for (const [expr, pattern] of cases) assertRefused(() => validateCron(expr), "time_cron", pattern);
});

test("names, ?, L and # are accepted", () => {
  const after = ms("2026-01-15T12:00:00Z"); // a Thursday
  assert.equal(nextCronFire("0 0 * * THU", after), ms("2026-01-22T00:00:00Z"));
  assert.equal(nextCronFire("0 0 1 JAN ?", after), ms("2027-01-01T00:00:00Z"));
  assert.equal(nextCronFire("0 0 L * *", after), ms("2026-01-31T00:00:00Z"));
  assert.equal(nextCronFire("0 0 * * 5L", after), ms("2026-01-30T00:00:00Z"));
  assert.equal(nextCronFire("0 0 * * 5#3", after), ms("2026-01-16T00:00:00Z"));
  assert.equal(nextCronFire("@daily", after), ms("2026-01-16T00:00:00Z"));
});

test("a rare but possible date is found years ahead", () => {
  assert.equal(nextCronFire("0 0 29 2 *", ms("2026-03-01T00:00:00Z")), ms("2028-02-29T00:00:00Z"));
});

test("an invalid time zone is refused on the time_zone field", () => {
  assertRefused(() => validateCron("* * * * *", "Mars/Olympus_Mons"), "time_zone", /"Mars\/Olympus_Mons" is not a known IANA time zone/);
  assertRefused(() => nextCronFire("* * * * *", 0, "Not a zone"), "time_zone", /IANA/);
});

// These pin cron-parser's DST behaviour, which the README documents.
test("DST gap: a skipped wall-clock time fires once, shifted into the hour after the gap", () => {
  // America/New_York jumps 02:00 EST -> 03:00 EDT at 2026-03-08T07:00Z.
  assert.equal(nextCronFire("30 2 * * *", ms("2026-03-07T12:00:00Z"), "America/New_York"), ms("2026-03-08T07:30:00Z")); // 03:30 EDT
  assert.equal(nextCronFire("30 2 * * *", ms("2026-03-08T07:30:00Z"), "America/New_York"), ms("2026-03-09T06:30:00Z")); // 02:30 EDT
});

test("DST repeat: a fixed time in the repeated hour fires once, on its first occurrence", () => {
  // America/New_York falls back 02:00 EDT -> 01:00 EST at 2026-11-01T06:00Z.
  const first = nextCronFire("30 1 * * *", ms("2026-10-31T12:00:00Z"), "America/New_York");
  assert.equal(first, ms("2026-11-01T05:30:00Z")); // 01:30 EDT
  assert.equal(nextCronFire("30 1 * * *", first!, "America/New_York"), ms("2026-11-02T06:30:00Z")); // next day, not 01:30 EST
});

test("DST repeat: an hour-wildcard expression fires in both passes of the repeated hour", () => {
  assert.equal(nextCronFire("0 * * * *", ms("2026-11-01T05:00:00Z"), "America/New_York"), ms("2026-11-01T06:00:00Z")); // 01:00 EST
});
