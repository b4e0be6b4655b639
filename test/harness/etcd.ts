// A private single-member etcd for tests, which can be killed and restarted
// on the same ports and data to exercise failover/reconnect paths.
import { get } from 'node:http';
import { freePort } from './ports.js';
import {
  findExecutable,
  makeTempDir,
  type ManagedProcess,
  removeTempDir,
  retryIfAddressInUse,
  startProcess,
} from './processes.js';

export interface PrivateEtcd {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  /** Stops etcd and deletes its data. Idempotent. */
  stop(): Promise<void>;
  /** Stops the process but keeps the data. Default signal SIGKILL (a crash); other signals escalate to SIGKILL after 5 s. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts etcd again on the same ports and data (stopping it first if it is running). */
  restart(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

/** GET /health → {"health":"true"} once the member has a leader and serves requests. */
function isHealthy(clientPort: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port: clientPort, path: '/health', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          const health = (JSON.parse(body) as { health?: unknown }).health;
          resolve(res.statusCode === 200 && (health === 'true' || health === true));
        } catch {
          resolve(false);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('GET /health timed out')));
    req.on('error', reject);
  });
}

// One member of a cluster of `peers` (name → peer URL); a single member by default.
function launch(
  etcdBinary: string,
  dataDir: string,
  clientPort: number,
  peerPort: number,
  member: { name: string; peers: Record<string, string>; token?: string } = { name: 'default', peers: { default: `http://127.0.0.1:${peerPort}` } },
): Promise<ManagedProcess> {
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return startProcess(
    {
      name: `etcd ${member.name}`,
      command: etcdBinary,
      args: [
        `--name=${member.name}`,
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${clientUrl}`,
        `--advertise-client-urls=${clientUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${Object.entries(member.peers).map(([name, url]) => `${name}=${url}`).join(',')}`,
        ...(member.token ? [`--initial-cluster-token=${member.token}`, '--initial-cluster-state=new'] : []),
        // etcd 3.4 defaults to the deprecated capnslog logger and warns about it.
        '--logger=zap',
        // A single member still waits one election timeout before leading;
        // shorter timeouts make start and restart quicker (defaults 100/1000 ms).
        '--heartbeat-interval=50',
        '--election-timeout=250',
      ],
    },
    { probe: () => isHealthy(clientPort), timeoutMs: STARTUP_TIMEOUT_MS },
  );
}

/** Start a private single-member etcd on free ports of 127.0.0.1 with a fresh data dir. */
export async function startEtcd(): Promise<PrivateEtcd> {
  const etcdBinary = findExecutable(['etcd'], 'install etcd (Debian: apt-get install etcd-server)');

  // Each attempt gets a fresh data dir: etcd records its peer URL in the data
  // dir, so a dir from an attempt on other ports must not be reused.
  const first = await retryIfAddressInUse(async () => {
    const dataDir = await makeTempDir('easytask-etcd-');
    try {
      const clientPort = await freePort();
      const peerPort = await freePort();
      const proc = await launch(etcdBinary, dataDir, clientPort, peerPort);
      return { dataDir, clientPort, peerPort, proc };
    } catch (err) {
      await removeTempDir(dataDir);
      throw err;
    }
  });

  const { dataDir, clientPort, peerPort } = first;
  let proc = first.proc;
  let stopping: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    await proc.stop(signal, 5000);
  };

  return {
    endpoint: `http://127.0.0.1:${clientPort}`,
    clientPort,
    peerPort,
    dataDir,
    kill,
    restart: () => {
      if (stopping) return Promise.reject(new Error('etcd harness: restart() after stop()'));
      restarting = (async () => {
        await kill('SIGTERM');
        proc = await launch(etcdBinary, dataDir, clientPort, peerPort);
      })();
      return restarting;
    },
    stop: () =>
      (stopping ??= (async () => {
        await restarting?.catch(() => {});
        await kill('SIGTERM');
        await removeTempDir(dataDir);
      })()),
  };
}

export interface EtcdMember {
  name: string;
  endpoint: string;
  /** Stops the member but keeps its data. Default signal SIGKILL. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on the same ports and data; it rejoins the cluster. */
  restart(): Promise<void>;
}

export interface PrivateEtcdCluster {
  /** Every member's client URL. */
  endpoints: string[];
  members: EtcdMember[];
  /** Stops every member and deletes the data. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A private etcd cluster of `size` members (3 by default) on free ports of
 * 127.0.0.1: it keeps serving with one member down.
 */
export async function startEtcdCluster(size = 3): Promise<PrivateEtcdCluster> {
  const etcdBinary = findExecutable(['etcd'], 'install etcd (Debian: apt-get install etcd-server)');
  const root = await makeTempDir('easytask-etcd-cluster-');
  const layout: { name: string; dataDir: string; clientPort: number; peerPort: number }[] = [];
  for (let i = 0; i < size; i++) layout.push({ name: `m${i}`, dataDir: `${root}/m${i}`, clientPort: await freePort(), peerPort: await freePort() });
  const peers = Object.fromEntries(layout.map((m) => [m.name, `http://127.0.0.1:${m.peerPort}`]));
  // Unique per cluster, so members never take peers of another test's cluster for their own.
  const token = root.split('/').pop()!;
  const launchMember = (m: (typeof layout)[number]) => launch(etcdBinary, m.dataDir, m.clientPort, m.peerPort, { name: m.name, peers, token });
  // A member is healthy once the cluster has a leader, so all start at once.
  const started = await Promise.allSettled(layout.map(launchMember));
  const procs = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(procs.map((p) => p?.stop('SIGKILL')));
    await removeTempDir(root);
    throw failed.reason;
  }
  let stopping: Promise<void> | undefined;
  const members = layout.map((m, i): EtcdMember => ({
    name: m.name,
    endpoint: `http://127.0.0.1:${m.clientPort}`,
    kill: async (signal = 'SIGKILL') => {
      await procs[i]!.stop(signal, 5000);
    },
    restart: async () => {
      if (stopping) throw new Error('etcd harness: restart() after stop()');
      await procs[i]!.stop('SIGTERM', 5000);
      procs[i] = await launchMember(m);
    },
  }));
  return {
    endpoints: members.map((m) => m.endpoint),
    members,
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(procs.map((p) => p!.stop('SIGTERM', 5000)));
        await removeTempDir(root);
      })()),
  };
}
