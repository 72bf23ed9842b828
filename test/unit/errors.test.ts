import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { AuthenticationError, ConnectionError, FlowscopeError, errorText } from '../../src/core/common/errors.ts';
import { kafkaError } from '../../src/core/connectors/kafka/errors.ts';

// kafkajs's own error classes (its CommonJS export list is spread, so ESM sees them only
// on the default export), built as kafkajs builds them: the tap decides by class,
// protocol error type and system code, never by message text.
const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
// Its typings declare no constructor arguments; kafkajs passes the message (saslAuthenticator/*.js).
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

test('kafka errors: credentials are final, connection trouble is retried, the rest too', () => {
  const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9', { broker: '127.0.0.1:9', code: 'ECONNREFUSED' });
  const cases: [string, unknown, typeof FlowscopeError, boolean][] = [
    ['SASL failure', new KafkaJSSASLAuthenticationError('SASL PLAIN authentication failed: wrong password'), AuthenticationError, false],
    [
      'topic authorization',
      new KafkaJSProtocolError({ type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false, message: 'Not authorized to access topics' } as never),
      AuthenticationError,
      false,
    ],
    ['refused connection', refused, ConnectionError, true],
    ['retries exhausted on a refused connection', new KafkaJSNumberOfRetriesExceeded(refused, { retryCount: 2, retryTime: 300 }), ConnectionError, true],
    ['a plain system error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), ConnectionError, true],
    [
      'an unknown topic',
      new KafkaJSProtocolError({ type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true, message: 'This server does not host this topic-partition' } as never),
      FlowscopeError,
      true,
    ],
  ];
  for (const [name, err, cls, retriable] of cases) {
    const e = kafkaError(err);
    assert.ok(e instanceof cls, `${name}: ${e.name}`);
    assert.equal(e.retriable, retriable, name);
    assert.equal(e.message, (err as Error).message, `${name}: kafkajs's message is kept`);
  }
});

test('errorText adds a system code or a cause the message does not name', () => {
  assert.equal(errorText(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'socket hang up (ECONNRESET)');
  assert.equal(errorText(Object.assign(new Error('connect ECONNREFUSED ::1:1'), { code: 'ECONNREFUSED' })), 'connect ECONNREFUSED ::1:1');
  assert.equal(errorText(new Error('fetch failed', { cause: new Error('other side closed') })), 'fetch failed (other side closed)');
  const dual = Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:8')], ''), { code: 'ECONNREFUSED' });
  assert.equal(errorText(dual), 'connect ECONNREFUSED ::1:8');
  assert.equal(errorText('plain'), 'plain');
});
