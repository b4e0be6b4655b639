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

export async function startRedis(): Promise<PrivateRedis> {
  const redisServer = findExecutable(['redis-server'], 'install Redis (Debian: apt-get install redis-server)');
  const dir = await makeTempDir('easytask-redis-');
  try {
    const { proc, port } = await retryIfAddressInUse(async () => {
      const port = await freePort();
      const proc = await startProcess(
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
      return { proc, port };
    });
    let stopping: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      stop: () =>
        (stopping ??= (async () => {
          await proc.stop('SIGTERM', 5000);
          await removeTempDir(dir);
        })()),
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
