import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startNodeProcess, type NodeProcess } from "../support/processNode.js";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Easytask {
  url: string;
  port: number;
  node: NodeProcess;
  stop(): Promise<void>;
}

// The easytask command as users run it, on a fresh SQLite file, a free port
// and fast heartbeats.
export async function startEasytask(env: Record<string, string> = {}): Promise<Easytask> {
  const dir = mkdtempSync(join(tmpdir(), "easytask-sdk-"));
  const node = await startNodeProcess([], {
    EASYTASK_SQLITE__PATH: join(dir, "e.db"),
    EASYTASK_API_SERVER__HTTP__HOST: "127.0.0.1",
    EASYTASK_API_SERVER__HTTP__PORT: "0",
    EASYTASK_HEALTH_CHECK_INTERVAL_SEC: "0.2",
    ...env,
  });
  return {
    url: `http://127.0.0.1:${node.port}`,
    port: node.port,
    node,
    async stop() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

// opts.env adds to the environment; an undefined value removes a variable.
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<Ran> {
  const env = Object.fromEntries(Object.entries({ ...process.env, ...opts.env }).filter(([, v]) => v !== undefined));
  const proc = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    proc.once("error", reject);
    proc.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// For assert messages: everything a failed command said.
export function transcript(what: string, ran: Ran): string {
  return `${what} exited with ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
}

// The first ```lang block of a README, so that the example users copy is
// the one the tests run.
export function readmeExample(readmePath: string, lang: string): string {
  const text = readFileSync(join(ROOT, readmePath), "utf8");
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(text);
  if (!match) throw new Error(`${readmePath} has no \`\`\`${lang} block`);
  return match[1];
}

// A README's examples in `lang` with what each prints: a ```lang block, then
// "It prints:" and a ```text block. Every ```lang block must be one, so that
// each example users copy is one the tests run.
export function readmeExamples(readmePath: string, lang: string): { code: string; prints: string }[] {
  const text = readFileSync(join(ROOT, readmePath), "utf8");
  const examples = [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```\\n\\nIt prints:\\n\\n```text\\n([\\s\\S]*?)```", "g"))];
  const blocks = text.split("```" + lang + "\n").length - 1;
  if (examples.length === 0 || examples.length !== blocks) {
    throw new Error(`${readmePath}: ${blocks - examples.length} of its ${blocks} \`\`\`${lang} blocks do not say what they print`);
  }
  return examples.map((m) => ({ code: m[1], prints: m[2] }));
}

// The ```sh blocks under a README's `## heading`, each as its command lines.
export function readmeShellBlocks(readmePath: string, heading: string): string[][] {
  const text = readFileSync(join(ROOT, readmePath), "utf8");
  const section = text.split(`\n## ${heading}\n`)[1]?.split("\n## ")[0];
  if (section === undefined) throw new Error(`${readmePath} has no ## ${heading}`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].trim().split("\n"));
}

// Installs (once, then a no-op) the Go plugins and the Python venv of .tools/.
export async function codegenTools(): Promise<void> {
  const ran = await run(join(ROOT, "scripts/codegen-tools.sh"), []);
  if (ran.code !== 0) throw new Error(transcript("scripts/codegen-tools.sh", ran));
}
