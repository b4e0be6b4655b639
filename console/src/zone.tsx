import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import { formatIn, relative, zoneName } from "./time.js";

// Every time in the console is shown in one zone the user picks (UTC, this
// browser's, or each task's own), remembered in this browser, and names it.

export type ZoneChoice = "utc" | "browser" | "task";
const KEY = "easytask.zone";
export const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

const stored = (): ZoneChoice => {
  const v = localStorage.getItem(KEY);
  return v === "utc" || v === "task" ? v : "browser";
};

const ChoiceContext = createContext<{ choice: ZoneChoice; set(c: ZoneChoice): void }>({ choice: "browser", set() {} });
// The zone of the task a page is about, for the "task" choice.
const TaskZoneContext = createContext<string | undefined>(undefined);

export function ZoneProvider(props: { children: ComponentChildren }) {
  const [choice, setChoice] = useState(stored);
  const set = (c: ZoneChoice) => {
    localStorage.setItem(KEY, c);
    setChoice(c);
  };
  return <ChoiceContext.Provider value={{ choice, set }}>{props.children}</ChoiceContext.Provider>;
}

// Times below are about this task: "each task's own zone" means its zone.
export function TaskZone(props: { zone: string; children: ComponentChildren }) {
  return <TaskZoneContext.Provider value={props.zone || "UTC"}>{props.children}</TaskZoneContext.Provider>;
}

export const useZoneChoice = () => useContext(ChoiceContext).choice;

// The IANA zone to show times in. With the "task" choice: the given task
// zone, else the page's task's, else UTC (a page of many tasks' runs).
export function useZone(taskZone?: string): string {
  const { choice } = useContext(ChoiceContext);
  const pageTaskZone = useContext(TaskZoneContext);
  if (choice === "utc") return "UTC";
  if (choice === "browser") return BROWSER_ZONE;
  return taskZone ?? pageTaskZone ?? "UTC";
}

export function ZonePicker() {
  const { choice, set } = useContext(ChoiceContext);
  return (
    <label class="zone-picker">
      <span>Times in</span>
      <select value={choice} onChange={(e) => set(e.currentTarget.value as ZoneChoice)}>
        <option value="browser">{BROWSER_ZONE} (browser)</option>
        <option value="utc">UTC</option>
        <option value="task">each task's zone</option>
      </select>
    </label>
  );
}

// One clock for every relative time on the page, ticking once a second.
let now = Date.now();
const ticking = new Set<(n: number) => void>();
setInterval(() => {
  now = Date.now();
  for (const f of ticking) f(now);
}, 1000);

export function useNow(): number {
  const [n, setN] = useState(now);
  useEffect(() => {
    ticking.add(setN);
    return () => ticking.delete(setN);
  }, []);
  return n;
}

export const msOf = (t: Timestamp | number | undefined) => (t === undefined ? undefined : typeof t === "number" ? t : timestampDate(t).getTime());

function Ago(props: { at: number }) {
  return <span class="ago"> ({relative(props.at, useNow())})</span>;
}

// A time in the chosen zone with the zone's name, and how long ago (or
// until) it is when `ago` is set.
export function Time(props: { at: Timestamp | number | undefined; ago?: boolean; taskZone?: string; empty?: string }) {
  const zone = useZone(props.taskZone);
  const at = msOf(props.at);
  if (at === undefined) return <>{props.empty ?? "—"}</>;
  return (
    <time dateTime={new Date(at).toISOString()} title={zone}>
      {formatIn(zone, at)} <span class="zone">{zoneName(zone, at)}</span>
      {props.ago && <Ago at={at} />}
    </time>
  );
}
