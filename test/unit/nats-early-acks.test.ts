import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EARLY_ACK_MS, EarlyAcks } from '../../src/core/connectors/nats/early-acks.ts';
import { InboxBook, natsRecord, type NatsFields } from '../../src/core/connectors/nats/record.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';

// The order the server wrote them on the tap's socket, as CI once saw it: JetStream's PubAck
// first, then the publish it answers (JetStream acks on a goroutine of its own).
const fields = (subject: string, reply: string | null, body: string): NatsFields => ({
  subject,
  reply,
  headers: null,
  code: null,
  description: null,
  data: new TextEncoder().encode(body),
});

function tap(): { early: EarlyAcks; recorded: CapturedMessage[] } {
  const inboxes = new InboxBook(100);
  const recorded: CapturedMessage[] = [];
  return { early: new EarlyAcks(inboxes, (f) => recorded.push(natsRecord('tap', 'c1', f, inboxes))), recorded };
}

test('a PubAck that reaches the tap before its publish is recorded right after it, as that publish stored in the stream', () => {
  const { early, recorded } = tap();
  early.receive(fields('_INBOX_x.1', null, '{"stream":"ORDERS","seq":7}'));
  assert.equal(recorded.length, 0, 'held until its publish is seen');
  early.receive(fields('jobs.a', '_INBOX_x.1', '{"n":1}'));
  early.receive(fields('jobs.b', null, '{"n":2}'));
  assert.deepEqual(recorded.map((m) => m.destination), ['jobs.a', '_INBOX_x.1', 'jobs.b']);
  const ack = recorded[1]!;
  assert.deepEqual([ack.meta?.js, ack.meta?.stream, ack.meta?.streamSeq, ack.meta?.subject], ['stored', 'ORDERS', 7, 'jobs.a']);
  assert.equal(ack.correlationId, '_INBOX_x.1', 'it pairs with the publish as its reply');
  assert.equal(recorded[0]!.correlationId, '_INBOX_x.1');
});

test('a PubAck whose publish never comes is recorded as it is after a short wait; other messages are never held', async () => {
  const { early, recorded } = tap();
  early.receive(fields('_INBOX_y.9', null, '{"stream":"S","seq":1}'));
  early.receive(fields('other.subject', null, '{"stream":"S","seq":2}'));
  early.receive(fields('jobs.c', null, 'plain text'));
  // Held: the first (no publish named its inbox) and the second (a PubAck too); the text is not.
  assert.deepEqual(recorded.map((m) => m.destination), ['jobs.c']);
  await new Promise((r) => setTimeout(r, EARLY_ACK_MS * 3));
  assert.deepEqual(recorded.map((m) => m.destination), ['jobs.c', '_INBOX_y.9', 'other.subject'], 'released in arrival order');
  assert.equal(recorded[1]!.meta?.js, undefined, 'not known as stored: its request was never seen');
  // A message with a reply subject, and one on a known inbox, go straight through.
  early.receive(fields('jobs.d', '_INBOX_y.10', '{"n":4}'));
  early.receive(fields('_INBOX_y.10', null, '{"stream":"S","seq":3}'));
  assert.deepEqual(recorded.slice(3).map((m) => [m.destination, m.meta?.js]), [['jobs.d', undefined], ['_INBOX_y.10', 'stored']]);
});

test('a closing connection records what it still holds', () => {
  const { early, recorded } = tap();
  early.receive(fields('_INBOX_z.1', null, '{"stream":"S","seq":1}'));
  early.flush();
  assert.deepEqual(recorded.map((m) => m.destination), ['_INBOX_z.1']);
});
