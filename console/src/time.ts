// Times in a named IANA zone, the one format the console prints and reads
// (YYYY-MM-DD HH:MM:SS), and relative times ("3 s ago", "in 2 min").

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "short",
    });
    formatters.set(zone, f);
  }
  return f;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  zoneName: string;
}

function fieldsIn(zone: string, ms: number): Fields {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const n = (k: string) => Number(parts[k]);
  return { year: n("year"), month: n("month"), day: n("day"), hour: n("hour"), minute: n("minute"), second: n("second"), zoneName: parts.timeZoneName ?? zone };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

// "2026-05-02 11:30:00"
export function formatIn(zone: string, ms: number): string {
  const f = fieldsIn(zone, ms);
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}:${pad(f.second)}`;
}

// "11:30", for chart axes.
export function clockIn(zone: string, ms: number): string {
  const f = fieldsIn(zone, ms);
  return `${pad(f.hour)}:${pad(f.minute)}`;
}

// "05-02 11:30", for chart axes spanning days.
export function dayClockIn(zone: string, ms: number): string {
  const f = fieldsIn(zone, ms);
  return `${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}`;
}

// The zone's short name at that moment: "UTC", "GMT+5:30", "EDT".
export function zoneName(zone: string, ms: number): string {
  return zone === "UTC" ? "UTC" : fieldsIn(zone, ms).zoneName;
}

// How far the zone's wall clock is ahead of UTC at that moment.
function offsetMs(zone: string, ms: number): number {
  const f = fieldsIn(zone, ms);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
}

const TYPED = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

// "YYYY-MM-DD HH:MM[:SS]" read as a wall-clock time in the zone; undefined
// when it is not one (a wrong date, or a time skipped by a clock change).
export function parseIn(zone: string, text: string): number | undefined {
  const m = TYPED.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number);
  const second = Number(m[6] ?? 0);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let at = wall - offsetMs(zone, wall);
  // Once more from the first guess: the offset may differ across a change.
  at = wall - offsetMs(zone, at);
  return formatIn(zone, at) === `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${pad(second)}` ? at : undefined;
}

// "3 s ago", "in 2 min", "now".
export function relative(ms: number, now: number): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 1000) return "now";
  let amount: string;
  if (abs < 60_000) amount = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) amount = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 48 * 3_600_000) amount = `${Math.floor(abs / 3_600_000)} h`;
  else amount = `${Math.floor(abs / 86_400_000)} d`;
  return diff > 0 ? `in ${amount}` : `${amount} ago`;
}
