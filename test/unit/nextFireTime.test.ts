import { test } from "node:test";
import assert from "node:assert/strict";
import { ScheduleError } from "../../src/calendar/cron.js";
import { firstFireTime, nextFireAfterRun, SchedMode, upcomingFireTimes, type Schedule } from "../../src/calendar/nextFireTime.js";

const ms = (iso: string) => Date.parse(iso);

test("modes keep the documented numbering", () => {
  assert.equal(SchedMode.CRON, 1);
  assert.equal(SchedMode.AT, 2);
  assert.equal(SchedMode.INTERVAL, 3);
});

test("first fire: cron is the next fire after now", () => {
  const s: Schedule = { mode: SchedMode.CRON, cron: "*/5 * * * * *" };
  assert.equal(firstFireTime(s, ms("2026-01-15T12:00:03Z")), ms("2026-01-15T12:00:05Z"));
});

test("first fire: cron honours the time zone", () => {
  const s: Schedule = { mode: SchedMode.CRON, cron: "0 0 9 * * *", timeZone: "Asia/Shanghai" };
  assert.equal(firstFireTime(s, ms("2026-01-15T00:00:00Z")), ms("2026-01-15T01:00:00Z"));
});

test("first fire: AT is the specified time, even when already past", () => {
  const now = ms("2026-01-15T12:00:00Z");
  assert.equal(firstFireTime({ mode: SchedMode.AT, specAtMs: now + 60_000 }, now), now + 60_000);
  assert.equal(firstFireTime({ mode: SchedMode.AT, specAtMs: now - 60_000 }, now), now - 60_000);
});

test("first fire: interval is one interval after now", () => {
  const now = ms("2026-01-15T10:00:00Z");
  assert.equal(firstFireTime({ mode: SchedMode.INTERVAL, intervalSec: 5 }, now), now + 5_000);
});

test("first fire: missing or invalid schedule fields are refused on their field", () => {
  const cases: Array<[Schedule, string]> = [
    [{ mode: SchedMode.CRON }, "time_cron"],
    [{ mode: SchedMode.CRON, cron: "61 * * * *" }, "time_cron"],
    [{ mode: SchedMode.CRON, cron: "* * * * *", timeZone: "Nowhere/Land" }, "time_zone"],
    [{ mode: SchedMode.AT }, "time_spec_at"],
    [{ mode: SchedMode.INTERVAL }, "time_interval_sec"],
    [{ mode: SchedMode.INTERVAL, intervalSec: 0 }, "time_interval_sec"],
    [{ mode: SchedMode.INTERVAL, intervalSec: -5 }, "time_interval_sec"],
    [{ mode: SchedMode.UNSPECIFIED }, "sched_mode"],
    [{ mode: 9 as SchedMode }, "sched_mode"],
  ];
  for (const [s, field] of cases) {
    assert.throws(
      () => firstFireTime(s, 0),
      (err: unknown) => err instanceof ScheduleError && err.field === field,
      JSON.stringify(s),
    );
  }
});

test("after run: AT fires once", () => {
  const due = ms("2026-01-15T12:00:00Z");
  assert.equal(nextFireAfterRun({ mode: SchedMode.AT, specAtMs: due }, due, due + 1_000), null);
});

test("after run: interval on time moves one slot", () => {
  const due = ms("2026-01-15T10:00:00Z");
  const s: Schedule = { mode: SchedMode.INTERVAL, intervalSec: 5 };
  assert.equal(nextFireAfterRun(s, due, due), due + 5_000);
  assert.equal(nextFireAfterRun(s, due, due + 30), due + 5_000);
});

test("after run: interval misfire fires once, then resumes on its grid", () => {
  const s: Schedule = { mode: SchedMode.INTERVAL, intervalSec: 5 };
  assert.equal(nextFireAfterRun(s, ms("2026-01-15T10:00:00Z"), ms("2026-01-15T10:00:17.5Z")), ms("2026-01-15T10:00:20Z"));
  // now exactly on a slot: that slot is the one being served, so the next is strictly later
  assert.equal(nextFireAfterRun(s, ms("2026-01-15T10:00:00Z"), ms("2026-01-15T10:00:20Z")), ms("2026-01-15T10:00:25Z"));
});

test("after run: interval claimed early (clock skew) still moves at least one slot", () => {
  const due = ms("2026-01-15T10:00:00Z");
  assert.equal(nextFireAfterRun({ mode: SchedMode.INTERVAL, intervalSec: 5 }, due, due - 2_000), due + 5_000);
});

test("after run: cron on time moves to the next fire", () => {
  const s: Schedule = { mode: SchedMode.CRON, cron: "0 * * * *" };
  const due = ms("2026-01-15T10:00:00Z");
  assert.equal(nextFireAfterRun(s, due, due + 300), ms("2026-01-15T11:00:00Z"));
});

test("after run: cron misfire skips to the next fire after now", () => {
  const s: Schedule = { mode: SchedMode.CRON, cron: "0 * * * *" };
  assert.equal(nextFireAfterRun(s, ms("2026-01-15T10:00:00Z"), ms("2026-01-15T13:20:00Z")), ms("2026-01-15T14:00:00Z"));
  assert.equal(nextFireAfterRun(s, ms("2026-01-15T10:00:00Z"), ms("2026-01-15T13:00:00Z")), ms("2026-01-15T14:00:00Z"));
});

test("after run: cron claimed early (clock skew) moves past the due slot", () => {
  const s: Schedule = { mode: SchedMode.CRON, cron: "0 * * * *" };
  assert.equal(nextFireAfterRun(s, ms("2026-01-15T10:00:00Z"), ms("2026-01-15T09:59:58Z")), ms("2026-01-15T11:00:00Z"));
});

test("upcoming fire times: cron and interval step on, end_at cuts them, fixed delay and AT give one", () => {
  const t0 = ms("2026-01-15T12:00:00Z");
  const cron: Schedule = { mode: SchedMode.CRON, cron: "0 */15 * * * *" };
  assert.deepEqual(upcomingFireTimes(cron, t0, 0, 3), [t0, t0 + 900_000, t0 + 1_800_000]);
  const interval: Schedule = { mode: SchedMode.INTERVAL, intervalSec: 10 };
  assert.deepEqual(upcomingFireTimes(interval, t0, t0 + 25_000, 5), [t0, t0 + 10_000, t0 + 20_000]);
  assert.deepEqual(upcomingFireTimes({ mode: SchedMode.FIXED_DELAY, intervalSec: 10 }, t0, 0, 5), [t0]);
  assert.deepEqual(upcomingFireTimes({ mode: SchedMode.AT, specAtMs: t0 }, t0, 0, 5), [t0]);
  assert.deepEqual(upcomingFireTimes(interval, null, 0, 5), []);
});
