// A private redis-server for tests: free port on 127.0.0.1, a throwaway
// working dir, nothing persisted.
import { connect } from 'node:net';
import { freePort } from './ports.js';
import { findExecutable, makeTempDir, removeTempDir, retryIfAddressInUse, startProcess } from './processes.js';

export interface PrivateRedis {
  host: string;
  port: number;
  /** Stops redis-server and deletes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process (default SIGKILL, a crash), keeping its port for restart(). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again on the same port (stopping it first if it is running); the data is gone. */
  restart(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 10_000;

/** Sends PING on a fresh connection; true once the server answers +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('PING timed out')));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.startsWith('+PONG'));
    });
    socket.once('error', reject);
  });
}

function launch(redisServer: string, dir: string, port: number) {
  return startProcess(
    {
      name: 'redis-server',
      command: redisServer,
      // Command-line options instead of a config file; an empty `save` and
      // no AOF keep everything in memory, as a lease needs.
      args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      cwd: dir,
    },
    { probe: () => answersPing(port), timeoutMs: STARTUP_TIMEOUT_MS },
  );
}

export async function startRedis(): Promise<PrivateRedis> {
  const redisServer = findExecutable(['redis-server'], 'install Redis (Debian: apt-get install redis-server)');
  const dir = await makeTempDir('easytask-redis-');
  try {
    const started = await retryIfAddressInUse(async () => {
      const port = await freePort();
      return { proc: await launch(redisServer, dir, port), port };
    });
    const { port } = started;
    let proc = started.proc;
    let stopping: Promise<void> | undefined;
    const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
      await proc.stop(signal, 5000);
    };
    return {
      host: '127.0.0.1',
      port,
      kill,
      restart: async () => {
        if (stopping) throw new Error('redis harness: restart() after stop()');
        await kill('SIGTERM');
        proc = await launch(redisServer, dir, port);
      },
      stop: () =>
        (stopping ??= (async () => {
          await kill('SIGTERM');
          await removeTempDir(dir);
        })()),
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
