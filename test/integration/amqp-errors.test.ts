import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { AmqpConnector } from '../../src/core/connectors/amqp/index.ts';
import { AMQP_HOST, AMQP_PORT, amqpRecording, createVhost, rabbitmqctl, suffix } from '../helpers/amqp.ts';
import type { AmqpRecording } from '../helpers/amqp.ts';
import { waitFor } from '../helpers/tmp.ts';

// What a user reads when the endpoint is misconfigured or unreachable: a sentence naming the
// problem, never the password, and no crash.

const SECRET = `s3cret-${suffix()}`;
const stray: unknown[] = [];
const onStray = (err: unknown) => stray.push(err);
process.on('unhandledRejection', onStray);
process.on('uncaughtException', onStray);
after(() => {
  process.off('unhandledRejection', onStray);
  process.off('uncaughtException', onStray);
  assert.deepEqual(stray, [], 'no unhandled rejection or exception');
});

/** Everything a user or a log could read about the endpoint. */
function visibleText(rec: AmqpRecording): string {
  return JSON.stringify([
    rec.statuses,
    rec.store.endpointLog(),
    rec.connector.label,
    rec.storedConfig,
  ]);
}

async function failedStart(url: string, exchanges: string[] = [], firehose = false): Promise<{ rec: AmqpRecording; error: Error }> {
  const rec = amqpRecording({ url, exchanges, firehose, connectTimeoutMs: 5000 });
  const error = await rec.recorder.add(rec.connector).then(
    () => assert.fail('start should fail'),
    (err: Error) => err,
  );
  return { rec, error };
}

test('wrong password: the login refusal, in words', async (t) => {
  const { rec, error } = await failedStart(`amqp://guest:${SECRET}@${AMQP_HOST}:${AMQP_PORT}/`);
  t.after(() => rec.close());
  const expected = "RabbitMQ refused the login for user 'guest' (wrong user name or password)";
  assert.equal(error.message, expected);
  assert.equal(rec.status()?.status, 'failed');
  assert.equal(rec.status()?.detail, expected);
  assert.ok(!visibleText(rec).includes(SECRET), 'the password appears nowhere');
  assert.match(rec.connector.label, /guest:\*\*\*@/);
});

test('unknown user: same message with that user name', async (t) => {
  const { rec, error } = await failedStart(`amqp://nobody-${suffix()}:${SECRET}@${AMQP_HOST}:${AMQP_PORT}/`);
  t.after(() => rec.close());
  assert.match(error.message, /^RabbitMQ refused the login for user 'nobody-[0-9a-f]+' \(wrong user name or password\)$/);
  assert.ok(!visibleText(rec).includes(SECRET));
});

test('missing vhost: says the vhost does not exist or is not accessible', async (t) => {
  const vhost = `flowscope-missing-${suffix()}`;
  const { rec, error } = await failedStart(`amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/${vhost}`);
  t.after(() => rec.close());
  assert.equal(error.message, `vhost '${vhost}' does not exist or user 'guest' has no access to it`);
  assert.equal(rec.status()?.status, 'failed');
});

test('missing exchange: names the exchange and the vhost', async (t) => {
  const ex = `no-such-exchange-${suffix()}`;
  const { rec, error } = await failedStart(`amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/`, [ex]);
  t.after(() => rec.close());
  assert.equal(error.message, `exchange '${ex}' does not exist in vhost '/'`);
  assert.equal(rec.status()?.status, 'failed');
});

test('nothing listening: keeps retrying and says the connection is refused', async (t) => {
  const port = await freePort();
  const rec = amqpRecording({ url: `amqp://guest:${SECRET}@127.0.0.1:${port}/`, exchanges: ['amq.topic'], retry: { initialMs: 100, maxMs: 200 } });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector); // resolves: an unreachable broker is retried, not fatal
  await waitFor('two retries', () => rec.statuses.filter((s) => s.status === 'reconnecting').length >= 2);
  assert.match(
    rec.status()!.detail!,
    new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: connection refused \\(is RabbitMQ running and listening on this port\\?\\); retry \\d+ in`),
  );
  await rec.stop();
  assert.equal(rec.status()?.status, 'stopped');
  assert.ok(!visibleText(rec).includes(SECRET));
});

test('unknown host: says the name does not resolve', async (t) => {
  const rec = amqpRecording({ url: `amqp://guest:${SECRET}@no-such-host.invalid:5672/`, exchanges: [], retry: { initialMs: 100, maxMs: 200 } });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  const st = await waitFor('reconnecting', () => rec.statuses.find((s) => s.status === 'reconnecting'));
  assert.match(st.detail!, /^cannot resolve host 'no-such-host\.invalid' \(check the URL or your DNS\)/);
});

test('not an AMQP URL: refused before connecting, password hidden', () => {
  assert.throws(
    () => new AmqpConnector({ id: 'x', url: `http://guest:${SECRET}@localhost/`, exchanges: [] }, { message() {}, status() {} }),
    (err: Error) => /must start with amqp:\/\/ or amqps:\/\//.test(err.message) && !err.message.includes(SECRET),
  );
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('firehose without read permission on amq.rabbitmq.trace: says which permission is missing', async (t) => {
  const vh = await createVhost();
  const user = `flowscope-test-${suffix()}`;
  t.after(async () => {
    await rabbitmqctl('delete_user', user).catch(() => {});
    await vh.dispose();
  });
  await rabbitmqctl('add_user', user, SECRET);
  await rabbitmqctl('set_permissions', '-p', vh.name, user, '.*', '.*', '^(?!amq\\.rabbitmq\\.trace$).*');
  const { rec, error } = await failedStart(`amqp://${user}:${SECRET}@${AMQP_HOST}:${AMQP_PORT}/${vh.name}`, [], true);
  t.after(() => rec.close());
  assert.equal(
    error.message,
    `user '${user}' may not read the firehose (exchange amq.rabbitmq.trace) in vhost '${vh.name}': grant read permission on it, or record without the firehose`,
  );
  assert.ok(!visibleText(rec).includes(SECRET));
});

test('management API not reachable: records anyway and says where the topology comes from', async (t) => {
  const port = await freePort();
  const rec = amqpRecording({
    url: `amqp://guest:guest@${AMQP_HOST}:${AMQP_PORT}/`,
    exchanges: ['amq.topic'],
    managementUrl: `http://guest:${SECRET}@127.0.0.1:${port}`,
  });
  t.after(() => rec.close());
  await rec.recorder.add(rec.connector);
  assert.equal(rec.status()?.status, 'recording');
  assert.match(
    rec.status()!.detail!,
    new RegExp(`management API at http://guest:\\*\\*\\*@127\\.0\\.0\\.1:${port}/ is not reachable \\(ECONNREFUSED\\); topology comes from observed traffic`),
  );
  assert.ok(!visibleText(rec).includes(SECRET));
});
