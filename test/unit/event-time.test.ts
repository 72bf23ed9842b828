import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEventTime } from '../../src/core/common/event-time.ts';
import { toCaptured } from '../../src/core/connectors/kafka/record.ts';
import { mapProperties } from '../../src/core/connectors/amqp/properties.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';

const base: CapturedMessage = { time: 1_700_000_010_500, transport: 'amqp', endpoint: 'a', event: 'publish', destKind: 'exchange', destination: 'x', payload: new Uint8Array(0) };

test('Kafka records carry their timestamp and its type from the record batch', () => {
  const rec = { offset: '7', timestamp: '1700000000123', value: Buffer.from('v'), batchContext: { timestampType: 1 } };
  const m = toCaptured('k', 't', 0, rec, 1_700_000_999_000);
  assert.deepEqual([m.time, m.eventTime, m.eventTimeSource], [1_700_000_999_000, 1_700_000_000_123, 'kafka-log-append']);
  const create = toCaptured('k', 't', 0, { ...rec, batchContext: { timestampType: 0 } }, 1);
  assert.equal(create.eventTimeSource, 'kafka-create');
  const legacy = toCaptured('k', 't', 0, { offset: '1', timestamp: '1700000000000', value: null }, 1);
  assert.equal(legacy.eventTimeSource, 'kafka-unknown', 'a legacy message set has no batch attributes');
  const none = toCaptured('k', 't', 0, { offset: '1', timestamp: '-1', value: null }, 5);
  assert.deepEqual([none.eventTime, none.eventTimeSource], [5, 'capture']);
});

test('AMQP: the whole-second timestamp stands for a publish only when it was seen clearly later', () => {
  const stampSeconds = 1_700_000_010; // 500 ms before capture: the same moment, capture is finer
  const prompt = { ...base, brokerTime: mapProperties({ timestamp: stampSeconds }).brokerTime };
  assert.deepEqual(resolveEventTime(prompt), { eventTime: base.time, eventTimeSource: 'capture' });
  const held = { ...base, brokerTime: (stampSeconds - 60) * 1000 };
  assert.deepEqual(resolveEventTime(held), { eventTime: (stampSeconds - 60) * 1000, eventTimeSource: 'amqp-timestamp' });
  const ahead = { ...base, brokerTime: (stampSeconds + 3600) * 1000 };
  assert.equal(resolveEventTime(ahead).eventTimeSource, 'capture', "a stamp from the future is the publisher's clock");
  const delivered = { ...held, event: 'deliver' as const, destKind: 'queue' as const };
  assert.equal(resolveEventTime(delivered).eventTime, base.time, 'a delivery happens when it is seen');
});

test("AMQP: RabbitMQ's timestamp_in_ms header wins over the whole-second property", () => {
  const p = mapProperties({ timestamp: 1_700_000_000, headers: { timestamp_in_ms: 1_700_000_000_456 } });
  assert.equal(p.brokerTime, 1_700_000_000_456);
  const late = resolveEventTime({ ...base, time: 1_700_000_030_000, brokerTime: p.brokerTime });
  assert.deepEqual(late, { eventTime: 1_700_000_000_456, eventTimeSource: 'amqp-timestamp' });
});

test('WebSocket frames: capture time', () => {
  const m = { ...base, transport: 'ws' as const, event: 'frame-in' as const, destKind: 'socket' as const, brokerTime: 5 };
  assert.deepEqual(resolveEventTime(m), { eventTime: base.time, eventTimeSource: 'capture' });
});

test('a Kafka timestamp past year 9999 (a producer may set any 64-bit value) is not taken as the event time', () => {
  const m = toCaptured('k', 't', 0, { offset: '1', timestamp: '9000000000000000000', value: null, batchContext: { timestampType: 0 } }, 1_700_000_000_000);
  assert.deepEqual([m.eventTime, m.eventTimeSource], [1_700_000_000_000, 'capture']);
});
