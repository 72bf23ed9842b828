import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { tmpDir } from '../helpers/tmp.ts';
import { freePort } from '../fixtures/ws_python.ts';
import { MQTT_URL, NATS_URL } from '../helpers/mqtt-nats.ts';

// Issue 16: `flowscope demo` adds MQTT 5 request/response and NATS request/reply traffic where
// Mosquitto and NATS answer, and says in one line that it left a part out where nothing does.

const run = promisify(execFile);
const BIN = path.resolve('bin/flowscope.mjs');

interface Report {
  endpoints: { id: string; transport: string }[];
  destinations: { transport: string; destination: string; count: number }[];
  pairs: { byDestination: { transport: string; destination: string; matched: number; unanswered: number }[] };
}

async function demo(env: Record<string, string>): Promise<{ stderr: string; report: Report }> {
  const dir = tmpDir();
  const file = path.join(dir, 'demo.flowscope');
  const opts = { env: { ...process.env, FLOWSCOPE_DATA_DIR: dir, ...env }, timeout: 90_000 };
  // execFile rejects on a non-zero exit: the demo must exit 0 either way.
  const { stderr } = await run(process.execPath, [BIN, 'demo', '--duration', '4', '--out', file], opts);
  const { stdout } = await run(process.execPath, [BIN, 'inspect', file, '--json'], opts);
  return { stderr, report: JSON.parse(stdout) as Report };
}

const matched = (r: Report, transport: string) => r.pairs.byDestination.filter((d) => d.transport === transport).reduce((n, d) => n + d.matched, 0);

test('the demo records MQTT and NATS request/reply beside the WebSocket system when the brokers answer', async () => {
  const { stderr, report } = await demo({ FLOWSCOPE_DEMO_MQTT: MQTT_URL, FLOWSCOPE_DEMO_NATS: NATS_URL });
  assert.doesNotMatch(stderr, /skipped/);
  assert.deepEqual(report.endpoints.map((e) => e.transport).sort(), ['mqtt', 'nats', 'ws']);
  for (const t of ['mqtt', 'nats', 'ws']) assert.ok(matched(report, t) > 0, `${t} requests paired with their replies: ${JSON.stringify(report.pairs.byDestination)}`);
  // MQTT 5 pairs by response topic + correlation data, NATS by reply inbox: every request the
  // demo made before it stopped was answered.
  for (const t of ['mqtt', 'nats']) {
    for (const d of report.pairs.byDestination.filter((x) => x.transport === t)) assert.equal(d.unanswered, 0, `${d.destination} has no unanswered request`);
  }
  const mqttTopics = report.destinations.filter((d) => d.transport === 'mqtt').map((d) => d.destination);
  assert.ok(mqttTopics.some((t) => /\/sensors\/[a-z]+\/temp$/.test(t)), `telemetry topics: ${mqttTopics.join(', ')}`);
});

test('with nothing at the MQTT URL the demo says it skipped that part, exits 0 and records the rest', async () => {
  const closed = `mqtt://127.0.0.1:${await freePort()}`;
  const { stderr, report } = await demo({ FLOWSCOPE_DEMO_MQTT: closed, FLOWSCOPE_DEMO_NATS: NATS_URL });
  assert.match(stderr, new RegExp(`MQTT demo traffic skipped: nothing answers at ${closed.replace(/[.]/g, '\\.')}`));
  assert.deepEqual(report.endpoints.map((e) => e.transport).sort(), ['nats', 'ws']);
  assert.ok(matched(report, 'ws') > 0, 'the WebSocket demo ran as before');
  assert.match(stderr, /demo stopped: [\d,]+ messages/);
});
