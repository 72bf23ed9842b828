import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, EVENT_CHANNELS, REQUEST_CHANNELS, type RequestChannel } from '../../src/shared/api.ts';
import {
  NO_ID,
  answer,
  decodeEvent,
  decodeReply,
  decodeServerMessage,
  encodeEvent,
  encodeRequest,
  fromText,
  payloadFor,
  resultOf,
  toText,
  type ReplyEnvelope,
} from '../../src/shared/envelope.ts';

const info = { version: '1.2.3', transport: 'bridge' as const, platform: 'linux', demo: false };

/** A handler that records what reached it. */
function recorder(result: unknown = info) {
  const calls: { channel: RequestChannel; input: unknown }[] = [];
  const run = (channel: RequestChannel, input: unknown) => {
    calls.push({ channel, input });
    return Promise.resolve(result);
  };
  return { calls, run };
}

test('a request and its reply go through the codec and its text form unchanged', async () => {
  const { calls, run } = recorder();
  const wire = toText(encodeRequest(7, 'renderer:app:info', {}));
  const reply = await answer(fromText(wire), run);
  assert.deepEqual(calls, [{ channel: 'renderer:app:info', input: {} }]);
  const back = decodeServerMessage(fromText(toText(reply)));
  assert.ok(back && !('event' in back));
  assert.equal(back.id, 7);
  assert.deepEqual(resultOf('renderer:app:info', back), info);
});

test('malformed requests get an error reply, never a throw, and reach no handler', async () => {
  const { calls, run } = recorder();
  const cases: [unknown, RegExp][] = [
    [null, /not null/],
    [true, /not a boolean/],
    ['renderer:app:info', /not a string/],
    [42, /not a number/],
    [undefined, /not nothing/],
    [[7, 'renderer:app:info', {}], /not an array/],
    [{ channel: 'renderer:app:info', input: {} }, /integer id/],
    [{ id: 1.5, channel: 'renderer:app:info', input: {} }, /integer id/],
    [{ id: '7', channel: 'renderer:app:info', input: {} }, /integer id/],
    [{ id: 3, channel: 'renderer:nope', input: {} }, /Unknown channel renderer:nope/],
    [{ id: 3, channel: 'toString', input: {} }, /Unknown channel toString/],
    [{ id: 3, input: {} }, /Unknown channel undefined/],
  ];
  for (const [raw, message] of cases) {
    const reply = await answer(raw, run);
    assert.equal(reply.ok, false, `${JSON.stringify(raw)} is refused`);
    assert.ok(!reply.ok);
    assert.equal(reply.error.code, 'bad-request');
    assert.match(reply.error.message, message);
  }
  assert.deepEqual(calls, [], 'no handler ran');
  // The reply names the request it refuses when the request had a usable id.
  assert.equal((await answer({ id: 3, channel: 'renderer:nope' }, run)).id, 3);
  assert.equal((await answer(null, run)).id, NO_ID);
});

test('a failing handler gives an error reply with its code, or `failed`', async () => {
  const throwing = (err: unknown) => () => Promise.reject(err);
  const request = encodeRequest(9, 'renderer:session:info', { sessionId: 'x' });
  const notFound = await answer(request, throwing(new ApiError('not-found', 'No open session x.')));
  assert.deepEqual(notFound, { id: 9, ok: false, error: { code: 'not-found', message: 'No open session x.' } });
  const plain = await answer(request, throwing(new Error('disk full')));
  assert.deepEqual(plain, { id: 9, ok: false, error: { code: 'failed', message: 'disk full' } });
  const odd = await answer(request, throwing('just a string'));
  assert.deepEqual(odd, { id: 9, ok: false, error: { code: 'failed', message: 'just a string' } });
  // An absent result travels as null, so a reply always has one.
  assert.deepEqual(await answer(request, () => Promise.resolve(undefined)), { id: 9, ok: true, result: null });
});

test('the client side turns error replies and malformed replies into ApiErrors', () => {
  const refused: ReplyEnvelope = { id: 1, ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame' } };
  assert.throws(() => resultOf('renderer:app:info', decodeReply(refused)), (e: unknown) => e instanceof ApiError && e.code === 'unauthorized' && /untrusted/.test(e.message));
  for (const raw of [null, true, 'ok', 3, {}, { id: 1 }, { id: 1, ok: 'yes' }, { id: 1, ok: false }, { id: 1, ok: false, error: 'boom' }]) {
    const reply = decodeReply(raw);
    assert.equal(reply.ok, false, `${JSON.stringify(raw)} is not a reply`);
    assert.throws(() => resultOf('renderer:app:info', reply), /malformed reply/);
  }
  // An error code outside the contract is shown as a plain failure, its message kept.
  const strange = decodeReply({ id: 2, ok: false, error: { code: 'teapot', message: 'short and stout' } });
  assert.deepEqual(strange, { id: 2, ok: false, error: { code: 'failed', message: 'short and stout' } });
  assert.equal(decodeServerMessage(null), null);
  assert.equal(decodeServerMessage('hello'), null);
  assert.equal(fromText('{not json'), undefined);
});

test('events travel on contract channels only, and a handler gets only its own event', () => {
  const msg = encodeEvent('main:session:closed', { sessionId: 's1' });
  const back = decodeServerMessage(fromText(toText(msg)));
  assert.ok(back && 'event' in back);
  assert.deepEqual(payloadFor('main:session:closed', back), { sessionId: 's1' });
  assert.equal(payloadFor('main:app:error', back), undefined);
  assert.equal(decodeEvent({ event: 'main:nope', payload: {} }), null);
  assert.equal(decodeEvent({ event: 'main:app:error' }), null, 'an event carries a payload');
  assert.equal(decodeEvent(null), null);
});

test('the channel lists are the contract’s, each name once', () => {
  assert.ok(EVENT_CHANNELS.includes('main:traffic:batch') && EVENT_CHANNELS.includes('main:app:error'));
  assert.equal(new Set(EVENT_CHANNELS).size, EVENT_CHANNELS.length);
  assert.ok(EVENT_CHANNELS.every((c) => /^main:[a-z]+:[a-z-]+$/.test(c)));
  assert.ok(REQUEST_CHANNELS.every((c) => /^renderer:[a-z]+:[a-z-]+$/.test(c)));
});
