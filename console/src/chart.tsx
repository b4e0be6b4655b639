import { useState } from "preact/hooks";
import { clockIn, dayClockIn, formatIn, zoneName } from "./time.js";
import { useZone } from "./zone.js";

// A bar chart over time (stacked series, and an optional line on its own
// scale) with a time axis and value axes; pointing at a bar, or focusing the
// chart and pressing ←/→, shows that bar's values below it.

export interface ChartPoint {
  // Start of the bucket, epoch ms.
  at: number;
  // One value per series, stacked from the bottom.
  values: number[];
  // Undefined: no value here (no runs), a gap in the line.
  line?: number;
}

export interface ChartProps {
  // What the chart shows, e.g. "Runs per minute".
  title: string;
  points: ChartPoint[];
  stepMs: number;
  series: { name: string; className: string }[];
  line?: { name: string; unit: string };
  // The values of one point in words, e.g. "12 runs, 1 failed".
  describe(p: ChartPoint): string;
  // Shown over the chart when every value is 0.
  empty: string;
}

const W = 600;
const H = 140;

// 0, and a round number at or above the largest value.
function roundUp(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * p >= max) ?? 10) * p;
}

function Axis(props: { max: number; unit?: string; side: string }) {
  const u = props.unit ? ` ${props.unit}` : "";
  return (
    <div class={`y-axis ${props.side}`} aria-hidden="true">
      <span>{props.max + u}</span>
      <span>{props.max / 2 + u}</span>
      <span>{0 + u}</span>
    </div>
  );
}

// The runs of points that have a line value: [index, value] each. A lone
// point is drawn as a short flat stroke.
function segments(points: ChartPoint[]): [number, number][][] {
  const out: [number, number][][] = [];
  let current: [number, number][] = [];
  points.forEach((p, i) => {
    if (p.line === undefined) {
      if (current.length) out.push(current);
      current = [];
    } else current.push([i, p.line]);
  });
  if (current.length) out.push(current);
  return out.map((s) => (s.length === 1 ? [[s[0][0] - 0.3, s[0][1]], [s[0][0] + 0.3, s[0][1]]] : s));
}

export function TimeChart(props: ChartProps) {
  const zone = useZone();
  const [active, setActive] = useState<number>();
  const { points, stepMs } = props;
  const n = Math.max(1, points.length);
  const barW = W / n;
  const totals = points.map((p) => p.values.reduce((a, b) => a + b, 0));
  const maxBar = roundUp(Math.max(0, ...totals));
  const maxLine = roundUp(Math.max(0, ...points.map((p) => p.line ?? 0)));
  const empty = totals.every((t) => t === 0);
  const first = points[0]?.at ?? 0;
  const end = (points.at(-1)?.at ?? 0) + stepMs;
  const tick = end - first > 86_400_000 ? dayClockIn : clockIn;
  const pick = (i: number) => setActive(Math.max(0, Math.min(points.length - 1, i)));
  const onKey = (e: KeyboardEvent) => {
    const keys: Record<string, number> = { ArrowLeft: (active ?? points.length) - 1, ArrowRight: (active ?? -1) + 1, Home: 0, End: points.length - 1 };
    if (!(e.key in keys)) return;
    e.preventDefault();
    pick(keys[e.key]);
  };
  const onMove = (e: MouseEvent) => {
    const box = (e.currentTarget as HTMLElement).getBoundingClientRect();
    pick(Math.floor(((e.clientX - box.left) / box.width) * points.length));
  };
  const shown = active === undefined ? undefined : points[active];
  const range = `${formatIn(zone, first)} to ${formatIn(zone, end)} ${zoneName(zone, end)}`;
  return (
    <figure class="chart">
      <figcaption>
        <strong>{props.title}</strong> <span class="muted">from {range}</span>
      </figcaption>
      <div class="plot">
        <Axis max={maxBar} side="left" />
        <div
          class="plot-area"
          role="group"
          tabIndex={0}
          aria-label={`${props.title}, ${range}. Use the left and right arrow keys for the values of each bar.`}
          onKeyDown={onKey}
          onMouseMove={onMove}
          onFocus={() => active === undefined && pick(points.length - 1)}
        >
          <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" aria-hidden="true">
            {[0.5, 1].map((f) => (
              <line key={f} class="grid" x1={0} x2={W} y1={H - f * H} y2={H - f * H} />
            ))}
            {points.map((p, i) => {
              let y = H;
              return (
                <g key={p.at} class={i === active ? "active" : undefined}>
                  {i === active && <rect class="highlight" x={i * barW} y={0} width={barW} height={H} />}
                  {p.values.map((v, s) => {
                    const h = (v / maxBar) * H;
                    y -= h;
                    return h > 0 ? <rect key={s} class={`bar ${props.series[s].className}`} x={i * barW + barW * 0.1} y={y} width={Math.max(1, barW * 0.8)} height={h} /> : null;
                  })}
                </g>
              );
            })}
            {props.line && segments(points).map((segment) => <polyline key={segment[0][0]} class="line" points={segment.map(([i, v]) => `${(i + 0.5) * barW},${H - (v / maxLine) * H}`).join(" ")} />)}
          </svg>
          {empty && <p class="chart-empty">{props.empty}</p>}
        </div>
        {props.line ? <Axis max={maxLine} unit={props.line.unit} side="right" /> : <span />}
        <div class="x-axis" aria-hidden="true">
          <span>{tick(zone, first)}</span>
          <span>{tick(zone, first + (end - first) / 2)}</span>
          <span>{tick(zone, end)}</span>
        </div>
      </div>
      <p class="readout" aria-live="polite">
        {shown ? `${formatIn(zone, shown.at)} ${zoneName(zone, shown.at)}: ${props.describe(shown)}` : "Point at a bar (or focus the chart and use the arrow keys) to read its values."}
      </p>
      <p class="legend">
        {props.series.map((s) => (
          <span key={s.name} class={`key ${s.className}`}>
            {s.name}
          </span>
        ))}
        {props.line && <span class="key line">{props.line.name}</span>}
      </p>
    </figure>
  );
}
