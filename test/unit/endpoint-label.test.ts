import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointLabel, storableConfig } from '../../src/core/common/endpoint-label.ts';
import { hidePassword } from '../../src/core/common/redact.ts';

test('endpoint labels and stored settings never carry passwords or tokens', () => {
  const amqp = { kind: 'amqp' as const, url: 'amqp://app:s3cret@broker.local:5672/orders', exchanges: ['events'] };
  const ws = { kind: 'ws-proxy' as const, listenPort: 8081, target: 'wss://api.example.test/feed?access_token=abc123&room=7' };
  for (const spec of [amqp, ws]) {
    const shown = `${endpointLabel(spec)} ${JSON.stringify(storableConfig(spec))}`;
    assert.doesNotMatch(shown, /s3cret|abc123/);
  }
  assert.equal(hidePassword(amqp.url), 'amqp://app@broker.local:5672/orders', 'the user name stays, the password goes');
  assert.match(hidePassword(ws.target), /access_token=redacted&room=7/);
  assert.equal(hidePassword('not a url //u:pw@host'), 'not a url //host');
});
