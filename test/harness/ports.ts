import { createServer } from 'node:net';

// Ports handed out by this process recently; the kernel may offer the same
// ephemeral port twice in a row once it has been closed, and callers often ask
// for several ports before binding any of them (e.g. etcd client + peer).
const handedOut = new Set<number>();

function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') {
          reject(new Error(`freePort: unexpected server address ${String(address)}`));
        } else {
          resolve(address.port);
        }
      });
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (listen on port 0, read
 * the port, close). Someone else can still grab it before the caller binds it;
 * process starters retry with a fresh port when that happens
 * (see `startWithPortRetry` in processes.ts).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await probe();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: the kernel kept returning ports already handed out');
}
