import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchTopics, parseTopics, unmatchedDetail } from '../../src/core/connectors/kafka/topics.ts';

const existing = ['payments.created', 'payments.failed', 'eu.payments.created', 'orders', 'orders-dlq', '__consumer_offsets'];

test('a /pattern/ is searched in the topic name, as kafkajs and kcat do; names are exact', () => {
  assert.deepEqual(matchTopics(parseTopics(['/^payments\\./']), existing), ['payments.created', 'payments.failed'], "the README's example");
  assert.deepEqual(matchTopics(parseTopics(['/payments/']), existing), ['eu.payments.created', 'payments.created', 'payments.failed']);
  assert.deepEqual(matchTopics(parseTopics(['/^orders$/']), existing), ['orders'], 'anchored at both ends: the whole name');
  assert.deepEqual(matchTopics(parseTopics(['orders']), existing), ['orders'], 'a plain name is exact');
  assert.deepEqual(matchTopics(parseTopics(['^orders']), existing), ['orders', 'orders-dlq'], "kcat's ^ prefix is a pattern");
  assert.deepEqual(matchTopics(parseTopics([/created$/g]), existing), ['eu.payments.created', 'payments.created']);
  assert.deepEqual(matchTopics(parseTopics('.*'), existing).includes('__consumer_offsets'), false, 'internal topics never match a pattern');
  assert.throws(() => parseTopics(['/(/']), /not a valid regular expression/);
});

test('what a tap waits for names the missing topics and the idle patterns, and lists what exists', () => {
  const sel = parseTopics(['orders', 'refunds', '/^payment\\./']);
  const detail = unmatchedDetail(sel, existing)!;
  assert.match(detail, /Waiting for topic refunds to exist and for a topic matching \/\^payment\\.\//);
  assert.match(detail, /topics on the broker: payments\.created, payments\.failed, eu\.payments\.created, orders, orders-dlq$/, 'closest to what was asked first, then by name');
  assert.equal(unmatchedDetail(parseTopics(['orders', '/^payments\\./']), existing), undefined);
  assert.match(unmatchedDetail(parseTopics(['/x/']), [])!, /the broker has no topics yet/);
  const many = Array.from({ length: 25 }, (_, i) => `t${i}`);
  assert.match(unmatchedDetail(parseTopics(['/^z/']), many)!, /: t0, t1, t10, .* and 5 more$/);
  assert.match(unmatchedDetail(parseTopics(['/^t2x/']), many)!, /: t2, t20, t21, t22, t23, t24, t0,/, 'a literal start ranks its near misses first');
});
