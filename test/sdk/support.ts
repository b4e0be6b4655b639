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

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  const proc = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
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

// Installs (once, then a no-op) the Go plugins and the Python venv of .tools/.
export async function codegenTools(): Promise<void> {
  const ran = await run(join(ROOT, "scripts/codegen-tools.sh"), []);
  if (ran.code !== 0) throw new Error(transcript("scripts/codegen-tools.sh", ran));
}
