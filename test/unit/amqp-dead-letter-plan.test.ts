import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDeadLetterTaps, routedByBindings, topicMatch } from '../../src/core/connectors/amqp/dead-letter-plan.ts';
import type { ManagementSnapshot } from '../../src/core/connectors/amqp/management.ts';
import { queueLimits } from '../../src/core/connectors/amqp/queue-limits.ts';
import { defaultManagementUrl } from '../../src/core/connectors/amqp/management-watch.ts';
import { parseAmqpUrl } from '../../src/core/connectors/amqp/url.ts';
import { withoutBrokerHeaders } from '../../src/core/replay/dead-letters.ts';

test('queue limits: the argument wins for the dead-letter exchange and overflow, the lower number for limits', () => {
  assert.deepEqual(
    queueLimits(
      { 'x-dead-letter-exchange': 'dlx', 'x-message-ttl': 5000, 'x-max-length': '10', 'x-overflow': 'reject-publish-dlx' },
      { 'dead-letter-exchange': 'policy-dlx', 'dead-letter-routing-key': 'dead', 'message-ttl': 1000, 'max-length': 50, 'delivery-limit': 3 },
    ),
    { deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead', overflow: 'reject-publish-dlx', messageTtlMs: 1000, maxLength: 10, deliveryLimit: 3 },
  );
  assert.deepEqual(queueLimits({}), {});
  assert.deepEqual(queueLimits({ 'x-dead-letter-exchange': '' }), { deadLetterExchange: '' }, 'the default exchange is a dead-letter exchange too');
});

const snapshot = (): ManagementSnapshot => ({
  exchanges: [
    { name: 'amq.default', type: 'direct' },
    { name: 'work', type: 'direct' },
    { name: 'fan', type: 'fanout' },
    { name: 'dlx', type: 'direct' },
    { name: 'dlt', type: 'topic' },
  ],
  queues: [
    { name: 'jobs', limits: { deadLetterExchange: 'dlx', messageTtlMs: 100 } },
    { name: 'keyed', limits: { deadLetterExchange: 'dlx', deadLetterRoutingKey: 'dead' } },
    { name: 'fanned', limits: { deadLetterExchange: 'dlt' } },
    { name: 'to-default', limits: { deadLetterExchange: '', deadLetterRoutingKey: 'parking' } },
    { name: 'typo', limits: { deadLetterExchange: 'nope' } },
    { name: 'lossy', limits: { maxLength: 5 } },
    { name: 'plain' },
    { name: 'parked' },
  ],
  bindings: [
    { source: 'work', destination: 'jobs', destinationType: 'queue', routingKey: 'job.run' },
    { source: 'fan', destination: 'fanned', destinationType: 'queue', routingKey: '' },
    { source: 'dlx', destination: 'parked', destinationType: 'queue', routingKey: 'job.run' },
    { source: 'dlt', destination: 'parked', destinationType: 'queue', routingKey: 'job.#' },
  ],
});

test('dead-letter taps bind only the keys dead letters travel with, and the status names what stays unseen', () => {
  const plan = planDeadLetterTaps(snapshot());
  assert.deepEqual(plan.taps, [
    // jobs keeps its keys (bound job.run, or its name through the default exchange); keyed gets 'dead'.
    { exchange: 'dlx', type: 'direct', bindings: [{ pattern: 'dead' }, { pattern: 'job.run' }, { pattern: 'jobs' }], queues: ['jobs', 'keyed'] },
    // fanned is bound from a fanout exchange: its messages may carry any key.
    { exchange: 'dlt', type: 'topic', bindings: [{ pattern: '#' }], queues: ['fanned'] },
  ]);
  assert.deepEqual(plan.notes, [
    "dead letters: tapping 'dlx' (from 'jobs', 'keyed'), 'dlt' (from 'fanned')",
    "dead letters to the default exchange are seen only when their queue is consumed: 'to-default' → queue 'parking'",
    "dead-letter exchange missing, RabbitMQ drops what these queues dead-letter: 'typo' → 'nope'",
    "queues without a dead-letter exchange drop messages unseen: 'lossy' (max length 5)",
  ]);
});

test('routing by the management bindings; AMQP topic matching', () => {
  const snap = snapshot();
  assert.deepEqual(routedByBindings(snap, 'dlx', 'job.run'), ['parked']);
  assert.deepEqual(routedByBindings(snap, 'dlx', 'other'), []);
  assert.deepEqual(routedByBindings(snap, 'dlt', 'job.run.late'), ['parked']);
  assert.equal(routedByBindings(snap, 'missing', 'x'), null);
  assert.ok(topicMatch('#', ''));
  assert.ok(topicMatch('a.*.c', 'a.b.c'));
  assert.ok(!topicMatch('a.*', 'a.b.c'));
  assert.ok(topicMatch('a.#.c', 'a.c') && topicMatch('a.#.c', 'a.x.y.c'));
  assert.ok(!topicMatch('a.b', 'a.b.c'));
});

test('the management API is tried on the broker host by default', () => {
  assert.equal(defaultManagementUrl(parseAmqpUrl('amqp://u:p@rabbit.internal/vh')), 'http://rabbit.internal:15672');
  assert.equal(defaultManagementUrl(parseAmqpUrl('amqps://u:p@rabbit.internal:5671/vh')), 'https://rabbit.internal:15671');
  assert.equal(defaultManagementUrl(parseAmqpUrl('amqp://[::1]:5672/')), 'http://[::1]:15672');
});

test('sending back to origin drops only the headers the broker added when it dead-lettered the message', () => {
  assert.deepEqual(
    withoutBrokerHeaders({ 'x-death': [], 'x-first-death-queue': 'q', 'x-first-death-reason': 'expired', 'x-last-death-queue': 'q', 'x-tenant': 'eu', trace: 'abc' }),
    { 'x-tenant': 'eu', trace: 'abc' },
  );
  assert.equal(withoutBrokerHeaders({ 'x-death': [] }), null);
  // JSON text: in an object literal `__proto__:` would set the prototype instead of a key.
  assert.deepEqual(withoutBrokerHeaders(JSON.parse('{"__proto__":"p","x-death":[],"toString":"t"}')), JSON.parse('{"__proto__":"p","toString":"t"}'), 'any other name is kept, __proto__ too');
});
