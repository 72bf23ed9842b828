import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { Ajv } from 'ajv';
import { SessionStore } from '../../src/core/store/session-store.ts';
import type { StoredMessage } from '../../src/shared/model.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { MQTT_URL, NATS_URL } from '../helpers/mqtt-nats.ts';

// Issue 15: `flowscope export --format asyncapi` writes an AsyncAPI 3.0 document of what a
// session observed. The session here is the demo's real traffic (a WebSocket JSON-RPC,
// pub-sub and notification system through the recording proxy, MQTT 5 request/response
// and telemetry on Mosquitto, NATS request/reply on nats-server); the document must pass
// the official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs) and list exactly the channels
// and operations the traffic had.

const run = promisify(execFile);
const BIN = path.resolve('bin/flowscope.mjs');
const require = createRequire(import.meta.url);
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
const specs = require('@asyncapi/specs') as { schemasWithoutId: Record<string, object> };

/** The official AsyncAPI 3.0.0 schema, as @asyncapi/parser loads it (its "without $id" form). */
function asyncApiValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(specs.schemasWithoutId['3.0.0']!);
}

interface Doc {
  asyncapi: string;
  servers: Record<string, { host: string; protocol: string }>;
  channels: Record<string, { address: string | null; servers: { $ref: string }[]; messages: Record<string, { payload: Record<string, unknown>; examples?: unknown[] }> }>;
  operations: Record<string, { action: string; channel: { $ref: string }; messages: { $ref: string }[]; reply?: { channel: { $ref: string } } }>;
}

const refName = (r: { $ref: string }) => r.$ref.split('/').at(-1)!;

test('the AsyncAPI document of the demo passes the official schema and lists exactly the channels and operations observed', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'demo.flowscope');
  const env = { ...process.env, FLOWSCOPE_DATA_DIR: dir, FLOWSCOPE_DEMO_MQTT: MQTT_URL, FLOWSCOPE_DEMO_NATS: NATS_URL };
  const demo = await run(process.execPath, [BIN, 'demo', '--duration', '4', '--out', file], { env, timeout: 90_000 });
  assert.doesNotMatch(demo.stderr, /skipped/, 'Mosquitto and NATS answered');

  const yamlOut = path.join(dir, 'demo.asyncapi.yaml');
  const jsonOut = path.join(dir, 'demo.asyncapi.json');
  const y = await run(process.execPath, [BIN, 'export', file, '--format', 'asyncapi', '--out', yamlOut], { env });
  assert.match(y.stderr, /exported an AsyncAPI 3\.0 document \(\d+ channels, \d+ operations\)/);
  await run(process.execPath, [BIN, 'export', file, '--format', 'asyncapi', '--out', jsonOut], { env });
  const doc = parseYaml(fs.readFileSync(yamlOut, 'utf8')) as Doc;
  assert.deepEqual(JSON.parse(fs.readFileSync(jsonOut, 'utf8')), doc, 'YAML and JSON say the same');

  const validate = asyncApiValidator();
  assert.ok(validate(doc), `valid AsyncAPI 3.0.0: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
  // The validator does reject what is not AsyncAPI 3.0 (so the pass above means something).
  const broken = structuredClone(doc);
  (Object.values(broken.operations)[0] as { action: string }).action = 'publish';
  assert.equal(validate(broken), false);

  // What the session holds, read straight from the store.
  const store = SessionStore.open(file, { readonly: true });
  const msgs: StoredMessage[] = [...store.iterate()];
  store.close();
  const expected = new Map<string, Set<string>>();
  const note = (server: string, address: string | null, action: string) => {
    const k = `${server} ${address}`;
    if (!expected.has(k)) expected.set(k, new Set());
    expected.get(k)!.add(action);
  };
  for (const m of msgs) {
    if (m.transport === 'ws' && (m.event === 'frame-out' || m.event === 'frame-in')) note(m.endpoint, m.destination, m.event === 'frame-out' ? 'send' : 'receive');
    if ((m.transport === 'mqtt' || m.transport === 'nats') && m.event === 'publish') note(m.endpoint, m.transport === 'nats' && m.meta?.reply === true ? null : m.destination, 'send');
  }
  const observed = new Map<string, Set<string>>();
  for (const op of Object.values(doc.operations)) {
    const ch = doc.channels[refName(op.channel)]!;
    const k = `${refName(ch.servers[0]!)} ${ch.address}`;
    if (!observed.has(k)) observed.set(k, new Set());
    observed.get(k)!.add(op.action);
  }
  assert.deepEqual(
    [...observed].map(([k, v]) => [k, [...v].sort()]).sort(),
    [...expected].map(([k, v]) => [k, [...v].sort()]).sort(),
    'one channel per destination (NATS reply inboxes as one), an operation per direction seen',
  );
  assert.equal(Object.keys(doc.channels).length, expected.size);
  assert.deepEqual(Object.values(doc.servers).map((s) => s.protocol).sort(), ['mqtt', 'nats', 'ws']);

  // Request/reply where the demo's requests were answered.
  const replyOf = (server: string, address: string) => {
    const op = Object.values(doc.operations).find((o) => {
      const ch = doc.channels[refName(o.channel)]!;
      return o.action === 'send' && refName(ch.servers[0]!) === server && ch.address?.endsWith(address);
    });
    const r = op?.reply ? doc.channels[refName(op.reply.channel)]! : null;
    return r ? r.address : 'no reply';
  };
  assert.equal(replyOf('demo-ws', '/rpc'), '/rpc', 'JSON-RPC over the socket: replies on the same path');
  assert.match(String(replyOf('demo-mqtt', '/thermostat/set')), /\/app\/replies$/, 'MQTT 5 response topic');
  assert.equal(replyOf('demo-nats', '.prices.get'), null, 'NATS replies go to a per-request inbox');

  // Messages by JSON-RPC method, with an inferred schema and an example each.
  const rpc = Object.values(doc.channels).find((c) => c.address === '/rpc')!;
  const methods = msgs.filter((m) => m.destination === '/rpc' && m.event === 'frame-out').map((m) => (JSON.parse(Buffer.from(m.payload).toString()) as { method: string }).method);
  for (const method of new Set(methods)) {
    const msg = rpc.messages[method];
    assert.ok(msg, `a message for ${method}`);
    assert.equal(msg.payload.type, 'object');
    assert.ok((msg.payload.required as string[]).includes('method'));
    assert.ok((msg.examples?.length ?? 0) > 0);
  }
});
