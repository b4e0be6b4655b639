import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../sdk/support.js";

// The shell and SQL blocks of docs/DEPLOYMENT.md that tests run as written:
// each is the fenced block right after a `<!-- tested: NAME -->` line.
export function docBlock(name: string): string {
  const text = readFileSync(join(ROOT, "docs", "DEPLOYMENT.md"), "utf8");
  const match = new RegExp(`<!-- tested: ${name} -->\\n+\`\`\`(?:sh|sql)\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(text);
  if (!match) throw new Error(`docs/DEPLOYMENT.md has no block marked <!-- tested: ${name} -->`);
  return match[1]!;
}
