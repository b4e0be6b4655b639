import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../../bin/easytask.js", import.meta.url));

export interface NodeProcess {
  proc: ChildProcess;
  port: number;
  lines: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; stderr: string }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stderr: string }>;
}

// Runs `easytask` as users do; resolves once it logs the port it serves on.
// `nodeArgs` go to node itself (say, --cpu-prof).
export async function startNodeProcess(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [...nodeArgs, BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const records: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.once("exit", (code) => resolve({ code, stderr })));
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.on("data", (c: Buffer) => {
      buffered += c.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const record = JSON.parse(line) as Record<string, unknown>;
        records.push(record);
        if (record.msg === "easytask node started") resolve(record.port as number);
      }
    });
    void exited.then(({ code }) => reject(new Error(`easytask exited with ${code} before serving: ${stderr}`)));
  });
  return {
    proc,
    port,
    lines: () => records,
    exited,
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return exited;
    },
  };
}

// For configurations that must be refused: runs to the end.
export function runEasytask(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  proc.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  return new Promise((resolve) => proc.once("exit", (code) => resolve({ code, stderr, stdout })));
}

// When the node logged `msg`, in epoch ms, oldest first.
export const loggedAt = (node: NodeProcess, msg: string): number[] => node.lines().filter((l) => l.msg === msg).map((l) => Date.parse(l.time as string));
