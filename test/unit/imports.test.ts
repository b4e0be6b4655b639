import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

// The layers of src/, top to bottom (docs/ARCHITECTURE.md). A module may
// import its own folder and any layer below its own, never one above, and
// never another folder of its own layer: what both need goes lower.
const LAYERS: string[][] = [
  ["main.ts"],
  ["node.ts", "migrateCommand.ts"],
  ["server"],
  ["service"],
  ["engine"],
  ["cluster", "metrics", "audit", "alerts"],
  ["config"],
  ["store"],
  ["policy"],
  ["calendar", "callback"],
  ["log", "clock.ts"],
];

const SRC = resolve(fileURLToPath(new URL("../../../src", import.meta.url)));

// The layer's entry: the first path segment under src/ (a folder or a file).
const unitOf = (file: string) => relative(SRC, file).split("/")[0];
const rankOf = (unit: string) => LAYERS.findIndex((layer) => layer.includes(unit));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

// Relative imports (static, type-only and dynamic) of a source file, resolved to .ts files.
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, ".ts")).filter((target) => target.startsWith(SRC + "/"));
}

test("every module of src/ belongs to a layer", () => {
  const units = new Set(sources(SRC).map(unitOf));
  for (const unit of units) assert.notEqual(rankOf(unit), -1, `src/${unit} is in no layer of test/unit/imports.test.ts`);
});

test("imports point down: never to a layer above, nor across a layer", () => {
  const wrong: string[] = [];
  for (const file of sources(SRC)) {
    const from = unitOf(file);
    for (const target of importsOf(file)) {
      const to = unitOf(target);
      if (to === from) continue;
      const [a, b] = [rankOf(from), rankOf(to)];
      if (b < a) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: ${to} is above ${from}`);
      else if (b === a) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, target)}: ${to} and ${from} share a layer`);
    }
  }
  assert.deepEqual(wrong, []);
});
