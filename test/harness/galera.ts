// A private MariaDB Galera cluster for tests: three mariadbd on loopback
// ports replicating synchronously (wsrep), bootstrapped from the first
// member; the others join it by state transfer (rsync). Any member can be
// killed and restarted; the others keep serving.
import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { canConnect, createDatabase, INSTALL_HINT, INSTALL_TIMEOUT_MS, LIGHT_SETTINGS } from './mariadb.js';
import { freePort } from './ports.js';
import { findExecutable, makeTempDir, type ManagedProcess, removeTempDir, runCommand, startProcess } from './processes.js';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const GALERA_HINT = 'install Galera (Debian: apt-get install galera-4 rsync)';
// A joiner first copies the whole data dir from a donor.
const STARTUP_TIMEOUT_MS = 90_000;

export interface GaleraMember {
  port: number;
  /** mysql://root@127.0.0.1:PORT/<database> */
  url: string;
  /** Stops the member but keeps its data. Default signal SIGKILL (a crash). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on the same ports and data; it rejoins by incremental state transfer. */
  restart(): Promise<void>;
}

export interface PrivateGalera {
  members: GaleraMember[];
  /** Stops every member and deletes the data. Idempotent. */
  stop(): Promise<void>;
}

interface Layout {
  name: string;
  dir: string;
  port: number;
  gcommPort: number;
  istPort: number;
  sstPort: number;
}

// mariadbd refuses state transfers as root: it runs as the mysql user, which
// owns the data dirs.
function ownedByMysql(dir: string): void {
  execFileSync('chown', ['-R', 'mysql:mysql', dir]);
}

/** Starts a Galera cluster of `size` members (3 by default) and creates `database` on it. */
export async function startGalera(opts: { size?: number; database?: string } = {}): Promise<PrivateGalera> {
  const size = opts.size ?? 3;
  const database = opts.database ?? 'easytask';
  try {
    accessSync(GALERA_PROVIDER);
  } catch {
    throw new Error(`${GALERA_PROVIDER} not found; ${GALERA_HINT}`);
  }
  findExecutable(['rsync'], GALERA_HINT);
  const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db'], INSTALL_HINT);
  const mariadbd = findExecutable(['mariadbd', 'mysqld'], INSTALL_HINT);
  const root = await makeTempDir('easytask-galera-');
  // mkdtemp makes it 0700: the mysql user must get through it.
  chmodSync(root, 0o755);
  const layout: Layout[] = [];
  for (let i = 0; i < size; i++) {
    const dir = join(root, `g${i}`);
    await mkdir(join(dir, 'data'), { recursive: true });
    await mkdir(join(dir, 'tmp'));
    layout.push({ name: `g${i}`, dir, port: await freePort(), gcommPort: await freePort(), istPort: await freePort(), sstPort: await freePort() });
  }
  const clusterAddress = `gcomm://${layout.map((m) => `127.0.0.1:${m.gcommPort}`).join(',')}`;
  const token = root.split('/').pop()!;
  const procs: (ManagedProcess | undefined)[] = layout.map(() => undefined);

  const launch = (m: Layout, bootstrap: boolean) =>
    startProcess(
      {
        name: `mariadbd ${m.name}`,
        command: mariadbd,
        args: [
          '--no-defaults',
          `--datadir=${m.dir}/data`,
          '--user=mysql',
          `--port=${m.port}`,
          '--bind-address=127.0.0.1',
          `--socket=${m.dir}/sock`,
          `--pid-file=${m.dir}/mariadbd.pid`,
          `--tmpdir=${m.dir}/tmp`,
          ...LIGHT_SETTINGS,
          '--binlog-format=ROW',
          '--default-storage-engine=InnoDB',
          '--innodb-autoinc-lock-mode=2',
          '--wsrep-on=ON',
          `--wsrep-provider=${GALERA_PROVIDER}`,
          `--wsrep-cluster-name=${token}`,
          `--wsrep-cluster-address=${clusterAddress}`,
          `--wsrep-node-name=${m.name}`,
          `--wsrep-node-address=127.0.0.1:${m.gcommPort}`,
          // Quick to notice a dead member (defaults 5 s and 15 s), so the
          // others go on without it within seconds.
          `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${m.gcommPort};ist.recv_addr=127.0.0.1:${m.istPort};evs.suspect_timeout=PT2S;evs.inactive_timeout=PT3S;evs.inactive_check_period=PT0.5S;evs.keepalive_period=PT0.5S;gcache.size=32M`,
          '--wsrep-sst-method=rsync',
          `--wsrep-sst-receive-address=127.0.0.1:${m.sstPort}`,
          ...(bootstrap ? ['--wsrep-new-cluster'] : []),
        ],
      },
      { probe: () => canConnect(m.port), timeoutMs: STARTUP_TIMEOUT_MS, intervalMs: 250 },
    );

  const stopAll = async () => {
    await Promise.all(procs.map((p) => p?.stop('SIGTERM', 10_000)));
    await removeTempDir(root);
  };
  try {
    const first = layout[0]!;
    ownedByMysql(root);
    await runCommand(
      {
        name: 'mariadb-install-db',
        command: installDb,
        args: ['--no-defaults', `--datadir=${first.dir}/data`, '--user=mysql', '--auth-root-authentication-method=normal', `--tmpdir=${first.dir}/tmp`, ...LIGHT_SETTINGS],
      },
      INSTALL_TIMEOUT_MS,
    );
    procs[0] = await launch(first, true);
    await createDatabase(`mysql://root@127.0.0.1:${first.port}/`, database);
    // One joiner at a time: each takes a full copy from a donor.
    for (let i = 1; i < size; i++) procs[i] = await launch(layout[i]!, false);
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    members: layout.map((m, i) => ({
      port: m.port,
      url: `mysql://root@127.0.0.1:${m.port}/${encodeURIComponent(database)}`,
      kill: async (signal = 'SIGKILL') => {
        await procs[i]?.stop(signal, 10_000);
      },
      restart: async () => {
        if (stopping) throw new Error('galera harness: restart() after stop()');
        await procs[i]?.stop('SIGTERM', 10_000);
        procs[i] = await launch(m, false);
      },
    })),
    stop: () => (stopping ??= stopAll()),
  };
}
