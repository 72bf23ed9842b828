import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toCaptured, type KafkaRecord } from '../../src/core/connectors/kafka/record.ts';
import { UNDECODABLE_HEADER } from '../../src/core/connectors/kafka/codecs.ts';

// What a Kafka record becomes as a captured message: the meta the session file stores for it
// (`{"timestampType":…}` and the flags), the same whatever object the tap shares between
// the records of a batch.

const rec = (over: Partial<KafkaRecord>): KafkaRecord => ({ offset: '5', timestamp: '1700000000000', key: null, value: Buffer.from('v'), headers: {}, ...over });

test('a record carries its batch timestamp type, transaction and tombstone flags in its meta', () => {
  const create = { timestampType: 0, inTransaction: false };
  const appendTx = { timestampType: 1, inTransaction: true };
  const cases: [KafkaRecord, Record<string, unknown>][] = [
    [rec({ batchContext: create }), { timestampType: 'CreateTime' }],
    [rec({ batchContext: create, value: null }), { timestampType: 'CreateTime', tombstone: true }],
    [rec({ batchContext: appendTx }), { timestampType: 'LogAppendTime', transactional: true }],
    [rec({ batchContext: appendTx, value: null }), { timestampType: 'LogAppendTime', transactional: true, tombstone: true }],
    // A legacy message set (format v0/v1) has no batch context.
    [rec({}), {}],
    [rec({ value: null }), { tombstone: true }],
  ];
  for (const [r, meta] of cases) {
    const m = toCaptured('k', 't', 0, r, 1);
    assert.equal(JSON.stringify(m.meta), JSON.stringify(meta), 'same keys in the same order as the file has always stored');
  }
  // Records of one batch share their meta; it cannot be changed for one of them.
  const a = toCaptured('k', 't', 0, rec({ batchContext: create }), 1);
  const b = toCaptured('k', 't', 0, rec({ batchContext: { timestampType: 0, inTransaction: false }, offset: '6' }), 1);
  assert.equal(a.meta, b.meta);
  assert.throws(() => {
    (a.meta as Record<string, unknown>).tombstone = true;
  }, TypeError);
});

test('a placeholder record of an undecodable batch keeps its reason, and no headers', () => {
  const m = toCaptured('k', 't', 0, rec({ batchContext: { timestampType: 0, inTransaction: true }, value: null, headers: { [UNDECODABLE_HEADER]: Buffer.from('zstd: bad frame') } }), 1);
  assert.equal(JSON.stringify(m.meta), '{"timestampType":"CreateTime","transactional":true,"undecodable":"zstd: bad frame"}');
  assert.equal(m.headers, null);
  const next = toCaptured('k', 't', 0, rec({ batchContext: { timestampType: 0 }, headers: { h: Buffer.from('x') } }), 1);
  assert.equal(JSON.stringify(next.meta), '{"timestampType":"CreateTime"}', 'a placeholder does not change the shared meta');
  assert.deepEqual(next.headers, { h: 'x' });
});
