import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
// A private, throwaway MariaDB server for tests (or an external one via
// EASYTASK_TEST_MYSQL_URL).
import { createConnection } from 'mysql2/promise';
import { freePort } from './ports.js';
import {
  findExecutable,
  makeTempDir,
  type ManagedProcess,
  removeTempDir,
  retryIfAddressInUse,
  runCommand,
  startProcess,
} from './processes.js';

export interface PrivateMariaDb {
  /** mysql://root@127.0.0.1:PORT/<database> */
  url: string;
  port: number;
  /** Stops the server and deletes its data (no-op for an external server). Idempotent. */
  stop(): Promise<void>;
  /** Stops the process but keeps the data. Default signal SIGKILL (a crash); other signals escalate to SIGKILL after 5 s. Private servers only. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same port and data (stopping it first if it is running). Private servers only. */
  restart(): Promise<void>;
  /**
   * SIGSTOP: the server keeps its port and its connections, and the kernel
   * still accepts new ones, but nothing is answered until thaw() (SIGCONT):
   * a hung database as clients meet it. Private servers only.
   */
  freeze(): void;
  thaw(): void;
}

const STARTUP_TIMEOUT_MS = 30_000;
export const INSTALL_TIMEOUT_MS = 120_000;
export const INSTALL_HINT = 'install MariaDB (Debian: apt-get install mariadb-server) or set EASYTASK_TEST_MYSQL_URL';

// Keep a throwaway server small and quick. Passed to both the bootstrap
// (mariadb-install-db forwards them to the server) and the server itself, so
// the redo log is created at its final size instead of being resized.
export const LIGHT_SETTINGS = [
  '--innodb-buffer-pool-size=64M',
  '--innodb-log-file-size=8M',
  '--innodb-flush-log-at-trx-commit=2',
  '--innodb-doublewrite=0',
  // io_uring/libaio are often unavailable in containers; tests do not need them.
  '--innodb-use-native-aio=0',
  '--skip-name-resolve',
  '--character-set-server=utf8mb4',
  '--collation-server=utf8mb4_unicode_ci',
];

function quoteIdentifier(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

export async function createDatabase(serverUrl: string, database: string): Promise<void> {
  const conn = await createConnection(serverUrl);
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}

export async function canConnect(port: number): Promise<boolean> {
  const conn = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 2000 });
  await conn.end();
  return true;
}

async function useExternal(externalUrl: string, requested: string | undefined): Promise<PrivateMariaDb> {
  const url = new URL(externalUrl);
  const database = requested ?? (decodeURIComponent(url.pathname.slice(1)) || 'easytask');
  url.pathname = '/';
  await createDatabase(url.toString(), database);
  url.pathname = '/' + encodeURIComponent(database);
  const notOurs = async () => {
    throw new Error('mariadb harness: an external server (EASYTASK_TEST_MYSQL_URL) cannot be killed or restarted');
  };
  const notOursNow = () => {
    throw new Error('mariadb harness: an external server (EASYTASK_TEST_MYSQL_URL) cannot be frozen');
  };
  return { url: url.toString(), port: Number(url.port || 3306), stop: async () => {}, kill: notOurs, restart: notOurs, freeze: notOursNow, thaw: notOursNow };
}

function launch(mariadbd: string, dataDir: string, tmpDir: string, port: number, settings: string[]): Promise<ManagedProcess> {
  return startProcess(
    {
      name: 'mariadbd',
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--user=root',
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${dataDir}/sock`,
        `--pid-file=${dataDir}/mariadbd.pid`,
        `--tmpdir=${tmpDir}`,
        '--skip-log-bin',
        ...settings,
      ],
    },
    { probe: () => canConnect(port), timeoutMs: STARTUP_TIMEOUT_MS },
  );
}

/**
 * Start a private MariaDB on a free port of 127.0.0.1 (root, no password) and
 * create `database` (default "easytask", utf8mb4). `settings` are server
 * options added after the light ones tests use (which they override).
 *
 * If EASYTASK_TEST_MYSQL_URL is set, no server is started: the database is
 * created on that server (`opts.database`, else the URL's path, else
 * "easytask") and its URL is returned with a no-op stop().
 */
export async function startMariaDb(opts?: { database?: string; settings?: string[] }): Promise<PrivateMariaDb> {
  const external = process.env.EASYTASK_TEST_MYSQL_URL;
  if (external) return useExternal(external, opts?.database);

  const database = opts?.database ?? 'easytask';
  // Later options win, so a bench can ask for a server sized like a real one.
  const settings = [...LIGHT_SETTINGS, ...(opts?.settings ?? [])];
  const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db'], INSTALL_HINT);
  const mariadbd = findExecutable(['mariadbd', 'mysqld'], INSTALL_HINT);

  // Temp tables go to a directory of this server's own: concurrent bootstraps
  // sharing /tmp were seen to fail on each other's temporary table files.
  const root = await makeTempDir('easytask-mariadb-');
  const dataDir = join(root, 'data');
  const tmpDir = join(root, 'tmp');
  await mkdir(dataDir);
  await mkdir(tmpDir);
  let server: ManagedProcess | undefined;
  try {
    await runCommand(
      {
        name: 'mariadb-install-db',
        command: installDb,
        args: [
          '--no-defaults',
          `--datadir=${dataDir}`,
          '--user=root',
          '--auth-root-authentication-method=normal',
          `--tmpdir=${tmpDir}`,
          ...settings,
        ],
      },
      INSTALL_TIMEOUT_MS,
    );

    const started = await retryIfAddressInUse(async () => {
      const port = await freePort();
      return { proc: await launch(mariadbd, dataDir, tmpDir, port, settings), port };
    });
    server = started.proc;
    const { port } = started;

    await createDatabase(`mysql://root@127.0.0.1:${port}/`, database);

    let proc = server;
    let stopping: Promise<void> | undefined;
    let restarting: Promise<void> | undefined;
    const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
      // A frozen server would not act on anything but SIGKILL.
      proc.signal('SIGCONT');
      await proc.stop(signal, 5000);
    };
    return {
      url: `mysql://root@127.0.0.1:${port}/${encodeURIComponent(database)}`,
      port,
      kill,
      freeze: () => proc.signal('SIGSTOP'),
      thaw: () => proc.signal('SIGCONT'),
      restart: () => {
        if (stopping) return Promise.reject(new Error('mariadb harness: restart() after stop()'));
        restarting = (async () => {
          await kill('SIGTERM');
          proc = await launch(mariadbd, dataDir, tmpDir, port, settings);
        })();
        return restarting;
      },
      stop: () =>
        (stopping ??= (async () => {
          await restarting?.catch(() => {});
          await kill('SIGTERM');
          await removeTempDir(root);
        })()),
    };
  } catch (err) {
    await server?.stop('SIGKILL');
    await removeTempDir(root);
    throw err;
  }
}
