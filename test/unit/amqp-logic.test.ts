import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { planTap } from '../../src/core/connectors/amqp/exchanges.ts';
import { mapProperties, mapTraceProperties, timestampMs, toJson } from '../../src/core/connectors/amqp/properties.ts';
import { fingerprint, TapReconciler } from '../../src/core/connectors/amqp/reconcile.ts';
import { parseAmqpUrl } from '../../src/core/connectors/amqp/url.ts';
import { maskPassword, redactText } from '../../src/core/common/redact.ts';

const msg = (body: string, time: number): CapturedMessage => ({
  time,
  transport: 'amqp',
  endpoint: 'e',
  event: 'publish',
  destKind: 'exchange',
  destination: 'x',
  payload: Buffer.from(body),
});

test('a tap copy matched by its firehose event is never recorded, in either arrival order', () => {
  const out: CapturedMessage[] = [];
  const r = new TapReconciler(1000, (m) => out.push(m));
  const a = fingerprint('x', 'k', null, Buffer.from('a'));
  const b = fingerprint('x', 'k', null, Buffer.from('b'));
  r.tapped(a, msg('a', 0), 0); // tap first
  r.traced(a, 10);
  r.traced(b, 20); // firehose first
  r.tapped(b, msg('b', 30), 30);
  assert.equal(r.sweep(10_000, true), 0);
  assert.deepEqual(out, []);
});

test('identical publishes cancel one for one', () => {
  const out: CapturedMessage[] = [];
  const r = new TapReconciler(1000, (m) => out.push(m));
  const fp = fingerprint('x', 'k', null, Buffer.from('same'));
  for (let i = 0; i < 3; i++) r.tapped(fp, msg('same', i), i);
  r.traced(fp, 5);
  r.traced(fp, 6);
  assert.equal(r.sweep(10_000, true), 1, 'the one copy the firehose never reported is recorded');
});

test('copies wait while the firehose lags but is alive, and go out once it falls silent', () => {
  const out: CapturedMessage[] = [];
  const r = new TapReconciler(1000, (m) => out.push(m));
  r.tapped('fp1', msg('late', 0), 0);
  r.alive(4000); // the firehose is busy with other events
  assert.equal(r.sweep(4500), 0, 'not recorded while the firehose is alive');
  assert.equal(r.sweep(5200), 1, 'recorded once the firehose has been silent for the grace period');
  assert.equal(Buffer.from(out[0]!.payload).toString(), 'late');
});

test('never holds more than maxHeld copies', () => {
  const out: CapturedMessage[] = [];
  const r = new TapReconciler(1000, (m) => out.push(m), 2);
  r.alive(0);
  for (let i = 0; i < 5; i++) r.tapped(`fp${i}`, msg(String(i), i), i);
  r.alive(10);
  assert.equal(r.sweep(10), 3);
  assert.deepEqual(out.map((m) => m.time), [0, 1, 2], 'the oldest go first');
  assert.equal(r.pending, 2);
});

test('URLs lose their password everywhere they are shown', () => {
  assert.equal(maskPassword('amqp://bob:p%40ss@rabbit:5672/prod'), 'amqp://bob:***@rabbit:5672/prod');
  assert.equal(maskPassword('amqp://rabbit/'), 'amqp://rabbit/');
  assert.equal(maskPassword('not a url amqp://bob:hunter22@x'), 'not a url amqp://bob:***@x');
  assert.equal(redactText('failed for amqp://u:hunter22@h and hunter22', ['hunter22']), 'failed for amqp://u:***@h and ***');
  const t = parseAmqpUrl('amqps://bob:secret@rabbit.example/%2Fprod');
  assert.deepEqual(t, { protocol: 'amqps', host: 'rabbit.example', port: 5671, user: 'bob', vhost: '/prod', safeUrl: 'amqps://bob:***@rabbit.example/%2Fprod' });
  assert.equal(parseAmqpUrl('amqp://h').vhost, '/');
  assert.equal(parseAmqpUrl('amqp://h').user, 'guest');
  assert.throws(() => parseAmqpUrl('amqp//bob:secret@h'), (e: Error) => !e.message.includes('secret'));
});

test('AMQP properties map to JSON-safe fields, firehose snake_case included', () => {
  const trace = mapTraceProperties({
    correlation_id: 'c',
    reply_to: 'r',
    message_id: 'm',
    delivery_mode: 2,
    timestamp: 1_700_000_000,
    headers: { bin: Buffer.from([1, 2]), when: { '!': 'timestamp', value: 5 }, n: Number.NaN },
  });
  assert.deepEqual(trace, {
    properties: { correlationId: 'c', replyTo: 'r', messageId: 'm', deliveryMode: 2, timestamp: 1_700_000_000 },
    headers: { bin: { $base64: 'AQI=' }, when: { '!': 'timestamp', value: 5 }, n: 'NaN' },
    correlationId: 'c',
    messageId: 'm',
    replyTo: 'r',
    brokerTime: 1_700_000_000_000,
  });
  const plain = mapProperties({ contentType: 'text/plain', headers: {}, correlationId: undefined, timestamp: undefined });
  assert.deepEqual(plain.properties, { contentType: 'text/plain' });
  assert.equal(plain.headers, null);
  assert.equal(timestampMs(1_700_000_000_123), 1_700_000_000_123, 'milliseconds are left alone');
  assert.equal(toJson(10n ** 20n), '100000000000000000000');
});

test('tap bindings per exchange type', () => {
  assert.deepEqual(planTap('t', 'topic', []).bindings, [{ pattern: '#' }]);
  assert.deepEqual(planTap('f', 'fanout', []).bindings, [{ pattern: '' }]);
  assert.deepEqual(planTap('h', 'headers', []).bindings, [{ pattern: '', args: { 'x-match': 'all' } }]);
  const d = planTap('d', 'direct', ['b', 'a', 'a']);
  assert.deepEqual(d.bindings, [{ pattern: 'a' }, { pattern: 'b' }]);
  assert.equal(d.complete, false);
  assert.match(d.note, /other keys are only seen with the firehose/);
});
