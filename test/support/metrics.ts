// GET /metrics of a node: the Prometheus text.
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

// The value of one sample, e.g. sample(text, "easytask_runs_total", { task_server: "w", result: "failed" });
// undefined when the series is absent. Labels must match exactly (all of them).
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? "").match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
    if (got.sort().join(",") === wanted) return Number(m[3]);
  }
  return undefined;
}
