// Shared plumbing for the private servers the tests start (MariaDB, etcd):
// spawn a child, keep the tail of its output for error messages, poll until it
// is ready, stop it (SIGTERM, then SIGKILL), and make sure nothing outlives the
// test process.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all (e.g. ENOENT). */
  error?: Error;
}

/** Thrown when a process fails to start, dies early, or does not become ready in time. */
export class ProcessStartError extends Error {
  constructor(
    message: string,
    /** Tail of the process's combined stdout/stderr. */
    readonly output: string,
    readonly exit?: ExitInfo,
  ) {
    super(output.trim() === '' ? message : `${message}\n--- output (tail) ---\n${output.trimEnd()}`);
    this.name = 'ProcessStartError';
  }
}

// --- cleanup when the test process exits -----------------------------------

const liveChildren = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here.
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of ownedDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
  });
}

/** mkdtemp under os.tmpdir(); removed at process exit unless removeTempDir() ran first. */
export async function makeTempDir(prefix: string): Promise<string> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), prefix));
  ownedDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  ownedDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

// The 'exit' hook does not run when the test process is killed by a signal
// (e.g. the test runner cancelling a file). On Linux, util-linux's setpriv can
// set PR_SET_PDEATHSIG so the kernel SIGKILLs the server when we die.
let pdeathsigWrapper: string | null | undefined;
function deathSignalWrapper(): string | null {
  if (pdeathsigWrapper === undefined) {
    pdeathsigWrapper = null;
    if (process.platform === 'linux') {
      const probe = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
      if (probe.status === 0 && probe.stdout.includes('--pdeathsig')) pdeathsigWrapper = 'setpriv';
    }
  }
  return pdeathsigWrapper;
}

/**
 * Absolute path of the first of `names` found on PATH or in the sbin
 * directories (Debian puts mariadbd in /usr/sbin, which is not on a normal
 * user's PATH). Throws a readable error if none is installed.
 */
export function findExecutable(names: readonly string[], installHint: string): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const name of names) {
    for (const dir of dirs) {
      if (dir === '') continue;
      const candidate = join(dir, name);
      try {
        accessSync(candidate, fsConstants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  throw new Error(`none of ${names.join(', ')} found on PATH or in /usr/sbin; ${installHint}`);
}

// --- output tail -------------------------------------------------------------

const TAIL_CHARS = 8 * 1024;

class OutputTail {
  private text = '';
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > 2 * TAIL_CHARS) this.text = this.text.slice(-TAIL_CHARS);
  }
  get(): string {
    return this.text.length > TAIL_CHARS ? this.text.slice(-TAIL_CHARS) : this.text;
  }
}

function setRef(stream: unknown, ref: boolean): void {
  const s = stream as { ref?: () => void; unref?: () => void } | null;
  if (ref) s?.ref?.();
  else s?.unref?.();
}

function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not be spawned: ${exit.error.message}`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

// --- managed process -----------------------------------------------------------

export interface ProcessSpec {
  /** Short name used in error messages, e.g. "mariadbd". */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>;
}

export class ManagedProcess {
  private readonly tail = new OutputTail();
  private exitInfo: ExitInfo | undefined;
  private readonly exitPromise: Promise<ExitInfo>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.tail.push(chunk));
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      let exited: ExitInfo | undefined;
      const finish = (info: ExitInfo) => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        liveChildren.delete(child);
        resolve(info);
      };
      child.on('error', (error) => {
        // Spawn failures produce 'error' without 'exit'.
        if (child.pid === undefined) finish({ code: null, signal: null, error });
      });
      child.once('exit', (code, signal) => {
        exited = { code, signal };
        // Give the pipes a moment to deliver the last lines (often the reason it died).
        setTimeout(() => finish(exited!), 1000).unref();
      });
      child.once('close', (code, signal) => finish(exited ?? { code, signal }));
    });
  }

  static spawn(spec: ProcessSpec): ManagedProcess {
    installExitHook();
    const wrapper = deathSignalWrapper();
    const [command, args] = wrapper
      ? [wrapper, ['--pdeathsig', 'KILL', '--', spec.command, ...spec.args]]
      : [spec.command, [...spec.args]];
    const env = spec.env && { ...process.env, ...spec.env };
    const child = spawn(command, args, { cwd: spec.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = new ManagedProcess(spec.name, child);
    if (child.pid !== undefined) liveChildren.add(child);
    // Do not keep the event loop alive just because a server is running; the
    // exit hook (and PDEATHSIG) take care of leftovers.
    child.unref();
    setRef(child.stdout, false);
    setRef(child.stderr, false);
    return proc;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Tail of combined stdout/stderr. */
  output(): string {
    return this.tail.get();
  }

  /** Resolves when the process has exited (keeps the event loop alive meanwhile). */
  async waitForExit(): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.ref();
    setRef(this.child.stdout, true);
    setRef(this.child.stderr, true);
    return this.exitPromise;
  }

  /** Send `signal` and return (SIGSTOP and SIGCONT freeze and thaw it). */
  signal(signal: NodeJS.Signals): void {
    if (!this.exitInfo) this.child.kill(signal);
  }

  /** Send `signal`; if still alive after `graceMs`, SIGKILL. Resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const escalate = signal === 'SIGKILL' ? undefined : setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.waitForExit();
    } finally {
      clearTimeout(escalate);
    }
  }

  /**
   * Poll `probe` until it returns true. Fails fast (ProcessStartError with the
   * output tail) if the process exits; on timeout the process is killed.
   * A probe that throws or returns false means "not ready yet".
   */
  async waitUntilReady(probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const exited = this.exitPromise.then(() => 'exited' as const);
    let lastError: unknown;
    for (;;) {
      if (this.exitInfo) {
        throw new ProcessStartError(
          `${this.name} ${describeExit(this.exitInfo)} before becoming ready`,
          this.output(),
          this.exitInfo,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.stop('SIGKILL');
        const detail = lastError instanceof Error ? ` (last probe error: ${lastError.message})` : '';
        throw new ProcessStartError(`${this.name} was not ready after ${timeoutMs} ms${detail}`, this.output());
      }
      // A single probe may not hang past the deadline (or 5 s).
      const cancelTimer = new AbortController();
      const probeTimeout = sleep(Math.min(remaining, 5000), 'timeout' as const, { signal: cancelTimer.signal });
      probeTimeout.catch(() => {});
      try {
        const result = await Promise.race([probe(), exited, probeTimeout]);
        if (result === true) return;
        if (result === 'timeout') lastError = new Error('probe timed out');
      } catch (err) {
        lastError = err;
      } finally {
        cancelTimer.abort();
      }
      await Promise.race([sleep(intervalMs), exited]);
    }
  }
}

/** Spawn a process and wait until `probe` says it is ready. */
export async function startProcess(
  spec: ProcessSpec,
  ready: { probe: () => Promise<boolean>; timeoutMs: number; intervalMs?: number },
): Promise<ManagedProcess> {
  const proc = ManagedProcess.spawn(spec);
  await proc.waitUntilReady(ready.probe, ready.timeoutMs, ready.intervalMs);
  return proc;
}

/** Run a command to completion; returns its output, throws ProcessStartError (with output) on failure. */
export async function runCommand(spec: ProcessSpec, timeoutMs: number): Promise<string> {
  const proc = ManagedProcess.spawn(spec);
  const timer = setTimeout(() => void proc.stop('SIGKILL'), timeoutMs);
  try {
    const exit = await proc.waitForExit();
    if (exit.error || exit.code !== 0) {
      const why = exit.signal === 'SIGKILL' ? `timed out after ${timeoutMs} ms` : describeExit(exit);
      throw new ProcessStartError(`${spec.name} ${why}`, proc.output(), exit);
    }
    return proc.output();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * freePort() is inherently racy: another process can bind the port before the
 * server does. Retry `start` (which should pick fresh ports each time) when it
 * failed because the address was in use.
 */
export async function retryIfAddressInUse<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const inUse = err instanceof ProcessStartError && /address already in use|EADDRINUSE/i.test(err.output);
      if (!inUse || attempt >= attempts) throw err;
    }
  }
}
