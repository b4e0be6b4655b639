import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { Etcd3 } from 'etcd3';
import { Redis } from 'ioredis';
import { startMariaDb } from './mariadb.js';
import { startEtcd } from './etcd.js';
import { startRedis } from './redis.js';
import { freePort } from './ports.js';
import { ProcessStartError, runCommand, startProcess } from './processes.js';

/** Error code of a TCP connect to 127.0.0.1:port, or 'connected'. */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

test('freePort hands out distinct ports that can be bound', async () => {
  const a = await freePort();
  const b = await freePort();
  assert.notEqual(a, b);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(a, '127.0.0.1', resolve);
  });
  try {
    assert.equal(await tryConnect(a), 'connected');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a failing command reports its exit status and output', async () => {
  await assert.rejects(
    runCommand({ name: 'failing-tool', command: 'sh', args: ['-c', 'echo boom-on-stderr >&2; exit 3'] }, 10_000),
    (err: unknown) => {
      assert.ok(err instanceof ProcessStartError);
      assert.match(err.message, /failing-tool exited with code 3/);
      assert.match(err.message, /boom-on-stderr/);
      return true;
    },
  );
});

test('a server that dies during startup fails fast with its output', async () => {
  await assert.rejects(
    startProcess(
      { name: 'dying-server', command: 'sh', args: ['-c', 'echo cannot-start >&2; exit 1'] },
      { probe: async () => false, timeoutMs: 60_000 },
    ),
    (err: unknown) => {
      assert.ok(err instanceof ProcessStartError);
      assert.match(err.message, /dying-server exited with code 1 before becoming ready/);
      assert.match(err.message, /cannot-start/);
      return true;
    },
  );
});

test('private MariaDB answers queries and is gone after stop()', async (t) => {
  const db = await startMariaDb({ database: 'harness_check' });
  t.after(() => db.stop());
  const external = Boolean(process.env.EASYTASK_TEST_MYSQL_URL);
  if (!external) assert.equal(db.url, `mysql://root@127.0.0.1:${db.port}/harness_check`);

  const conn = await createConnection(db.url);
  try {
    const [rows] = await conn.query('SELECT 1 AS one, DATABASE() AS db, @@character_set_database AS charset');
    assert.deepEqual(rows, [{ one: 1, db: 'harness_check', charset: 'utf8mb4' }]);
  } finally {
    await conn.end();
  }

  await db.stop();
  if (!external) assert.equal(await tryConnect(db.port), 'ECONNREFUSED');
});

test('private MariaDB keeps its data across kill() and restart()', { skip: process.env.EASYTASK_TEST_MYSQL_URL ? 'needs a private MariaDB' : false }, async (t) => {
  const db = await startMariaDb({ database: 'harness_restart' });
  t.after(() => db.stop());
  const query = async (sql: string) => {
    const conn = await createConnection(db.url);
    try {
      return (await conn.query(sql))[0];
    } finally {
      await conn.end();
    }
  };
  await query('CREATE TABLE kept (v INT)');
  await query('INSERT INTO kept VALUES (7)');

  await db.kill();
  assert.equal(await tryConnect(db.port), 'ECONNREFUSED');

  await db.restart();
  assert.deepEqual(await query('SELECT v FROM kept'), [{ v: 7 }]);
});

test('private etcd keeps its data across kill() and restart()', async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.stop());
  assert.equal(etcd.endpoint, `http://127.0.0.1:${etcd.clientPort}`);

  const client = new Etcd3({ hosts: etcd.endpoint });
  t.after(() => client.close());

  await client.put('harness/key').value('value-1');
  assert.equal(await client.get('harness/key').string(), 'value-1');
  assert.equal(await client.get('harness/missing').string(), null);

  await etcd.kill();
  assert.equal(await tryConnect(etcd.clientPort), 'ECONNREFUSED');

  await etcd.restart();
  // Same client, same endpoint: it has to reconnect to the restarted member.
  assert.equal(await client.get('harness/key').string(), 'value-1');

  await etcd.stop();
  assert.equal(await tryConnect(etcd.clientPort), 'ECONNREFUSED');
  assert.equal(existsSync(etcd.dataDir), false);
});

test('private Redis answers commands and is gone after stop()', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
  t.after(() => client.disconnect());
  await client.connect();
  await client.set('harness:key', 'value-1');
  assert.equal(await client.get('harness:key'), 'value-1');
  client.disconnect();

  await redis.stop();
  assert.equal(await tryConnect(redis.port), 'ECONNREFUSED');
});
