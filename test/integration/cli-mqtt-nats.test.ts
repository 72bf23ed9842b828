import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { tmpDir, waitFor } from '../helpers/tmp.ts';
import { MQTT_URL, NATS_URL, RawNats, mosquittoPub, runPrefix } from '../helpers/mqtt-nats.ts';

const BIN = path.resolve('bin/flowscope.mjs');

function flowscope(args: string[], env: Record<string, string>): { kill: () => void; stdout: () => string; stderr: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : 0))));
  return { kill: () => child.kill('SIGTERM'), stdout: () => out, stderr: () => err, exit };
}

test('flowscope record --mqtt … --nats … records both; inspect --json shows them and their pairs', async () => {
  const dir = tmpDir();
  const p = runPrefix();
  const file = path.join(dir, 'iot.flowscope');
  const env = { FLOWSCOPE_DATA_DIR: dir };
  const rec = flowscope(
    ['record', '--mqtt', MQTT_URL, '--mqtt-topic', `${p}/sensors/+/temp`, '--mqtt-topic', `${p}/rpc/#`, '--nats', NATS_URL, '--subject', `${p}.>`, '--subject', `_INBOX.${p}.>`, '--out', file, '--max-messages', '6'],
    env,
  );
  await waitFor('both endpoints recording', () => (rec.stderr().match(/: recording/g) ?? []).length >= 2, 30_000);

  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/sensors/a/temp`, '-m', '20']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/rpc/req`, '-m', 'q', '-D', 'publish', 'response-topic', `${p}/rpc/resp`, '-D', 'publish', 'correlation-data', 'k1']);
  await mosquittoPub(['-V', 'mqttv5', '-t', `${p}/rpc/resp`, '-m', 'a', '-D', 'publish', 'correlation-data', 'k1']);
  const nats = await RawNats.connect();
  nats.pub(`${p}.svc`, 'q1', { reply: `_INBOX.${p}.1` });
  nats.pub(`${p}.svc`, 'q2', { reply: `_INBOX.${p}.2` });
  nats.pub(`_INBOX.${p}.1`, 'a1');
  await nats.ping();
  nats.close();
  // --max-messages 6: the recording ends by itself once all six are in the file.
  assert.equal(await rec.exit, 0, rec.stderr());

  const inspect = flowscope(['inspect', file, '--json'], env);
  assert.equal(await inspect.exit, 0, inspect.stderr());
  const report = JSON.parse(inspect.stdout()) as {
    messages: number;
    endpoints: { transport: string; label: string }[];
    destinations: { destination: string; count: number }[];
    pairs: { matched: number; unanswered: number; orphans: number };
  };
  assert.equal(report.messages, 6);
  assert.deepEqual(report.endpoints.map((e) => e.transport).sort(), ['mqtt', 'nats']);
  assert.ok(report.endpoints.some((e) => e.label.includes(`${p}/sensors/+/temp`)));
  const dest = new Map(report.destinations.map((d) => [d.destination, d.count]));
  assert.equal(dest.get(`${p}/sensors/a/temp`), 1);
  assert.equal(dest.get(`${p}.svc`), 2);
  assert.deepEqual([report.pairs.matched, report.pairs.unanswered, report.pairs.orphans], [2, 1, 0], 'one MQTT and one NATS pair, one NATS request unanswered');
});

test('the CLI explains an MQTT or NATS endpoint without a filter', async () => {
  const a = flowscope(['record', '--mqtt', MQTT_URL, '--out', path.join(tmpDir(), 'x.flowscope')], {});
  assert.equal(await a.exit, 2);
  assert.match(a.stderr(), /--mqtt needs at least one --mqtt-topic FILTER/);
  const b = flowscope(['record', '--nats', NATS_URL, '--subject', 'a..b', '--out', path.join(tmpDir(), 'y.flowscope')], {});
  assert.notEqual(await b.exit, 0);
  assert.match(b.stderr(), /dot-separated tokens/);
});

test('flowscope record --mqtt-proxy PORT=mqtt://broker records clients through it; inspect shows who published and what nobody received', async () => {
  const dir = tmpDir();
  const p = runPrefix();
  const file = path.join(dir, 'proxy.flowscope');
  // Two clients, five facts each (open, CONNACK, publish, PUBACK, close): the tenth ends the recording.
  const rec = flowscope(['record', '--mqtt-proxy', `0=${MQTT_URL}`, '--out', file, '--max-messages', '10'], { FLOWSCOPE_DATA_DIR: dir });
  const port = await waitFor('the proxy listening', () => /listening on mqtt:\/\/127\.0\.0\.1:(\d+), relaying to /.exec(rec.stderr())?.[1], 30_000);
  await mosquittoPub(['-p', port, '-V', 'mqttv5', '-i', `${p}-meter`, '-q', '1', '-t', `${p}/nobody`, '-m', 'lost']);
  await mosquittoPub(['-p', port, '-V', 'mqttv311', '-i', `${p}-old-meter`, '-q', '1', '-t', `${p}/nobody/either`, '-m', 'lost too']);
  assert.equal(await rec.exit, 0, rec.stderr());

  const inspect = flowscope(['inspect', file, '--json'], { FLOWSCOPE_DATA_DIR: dir });
  assert.equal(await inspect.exit, 0, inspect.stderr());
  const report = JSON.parse(inspect.stdout()) as {
    endpoints: { transport: string; label: string }[];
    undelivered: { byReason: Record<string, number> };
    topology: { nodes: { kind: string; label: string }[] };
  };
  assert.deepEqual(report.endpoints.map((e) => [e.transport, e.label]), [['mqtt', `mqtt proxy :0 → ${MQTT_URL}`]]);
  assert.deepEqual(report.undelivered.byReason, { 'no-subscribers': 2 });
  assert.deepEqual(
    report.topology.nodes.filter((n) => n.kind === 'producer').map((n) => n.label).sort(),
    [`${p}-meter`, `${p}-old-meter`],
  );
});
