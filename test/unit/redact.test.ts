import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hidePassword, hideUserinfo, maskPassword, passwordOf, redactText } from '../../src/core/common/redact.ts';

// One row per input: what each variant makes of it. A credential in the input must not
// survive in any output; the rest of the URL must.
const cases: { name: string; input: string; hide: string; mask: string; noUser: string }[] = [
  {
    name: 'amqp user and password',
    input: 'amqp://user:pass@broker:5672/vhost',
    hide: 'amqp://user@broker:5672/vhost',
    mask: 'amqp://user:***@broker:5672/vhost',
    noUser: 'amqp://broker:5672/vhost',
  },
  {
    name: 'percent-encoded password',
    input: 'amqps://bob:p%40ss@rabbit.example/%2Fprod',
    hide: 'amqps://bob@rabbit.example/%2Fprod',
    mask: 'amqps://bob:***@rabbit.example/%2Fprod',
    noUser: 'amqps://rabbit.example/%2Fprod',
  },
  {
    name: 'ws with a token parameter',
    input: 'ws://feed.example:8080/stream?token=abc123&room=7',
    hide: 'ws://feed.example:8080/stream?token=redacted&room=7',
    mask: 'ws://feed.example:8080/stream?token=redacted&room=7',
    noUser: 'ws://feed.example:8080/stream?token=redacted&room=7',
  },
  {
    name: 'wss with basic auth and an access_token',
    input: 'wss://me:tok@api.example/feed?access_token=xyz',
    hide: 'wss://me@api.example/feed?access_token=redacted',
    mask: 'wss://me:***@api.example/feed?access_token=redacted',
    noUser: 'wss://api.example/feed?access_token=redacted',
  },
  {
    name: 'IPv6 host',
    input: 'amqp://guest:secret@[::1]:5672/',
    hide: 'amqp://guest@[::1]:5672/',
    mask: 'amqp://guest:***@[::1]:5672/',
    noUser: 'amqp://[::1]:5672/',
  },
  {
    name: 'no credentials: unchanged',
    input: 'amqp://rabbit/',
    hide: 'amqp://rabbit/',
    mask: 'amqp://rabbit/',
    noUser: 'amqp://rabbit/',
  },
  {
    name: 'user name without password',
    input: 'amqp://app@rabbit:5672/orders',
    hide: 'amqp://app@rabbit:5672/orders',
    mask: 'amqp://app@rabbit:5672/orders',
    noUser: 'amqp://rabbit:5672/orders',
  },
  {
    name: 'unparseable text with user info',
    input: 'not a url amqp://bob:hunter22@x',
    hide: 'not a url amqp://x',
    mask: 'not a url amqp://bob:***@x',
    noUser: 'not a url amqp://x',
  },
  {
    name: 'unparseable, scheme-less, secret parameter',
    input: 'see //u:pw@host/p?api_key=k1&x=1',
    hide: 'see //host/p?api_key=redacted&x=1',
    mask: 'see //u:***@host/p?api_key=redacted&x=1',
    noUser: 'see //host/p?api_key=redacted&x=1',
  },
  {
    name: 'unencoded # in the password (not a URL then)',
    input: 'amqp://bob:p#ss@host',
    hide: 'amqp://host',
    mask: 'amqp://bob:***@host',
    noUser: 'amqp://host',
  },
];

for (const c of cases) {
  test(`redaction: ${c.name}`, () => {
    assert.equal(hidePassword(c.input), c.hide, 'hidePassword');
    assert.equal(maskPassword(c.input), c.mask, 'maskPassword');
    assert.equal(hideUserinfo(c.input), c.noUser, 'hideUserinfo');
  });
}

test('redactText: URLs in free text, and known passwords in every form', () => {
  const cases: [text: string, secrets: string[], expected: string][] = [
    ['failed for amqp://u:hunter22@h and hunter22', ['hunter22'], 'failed for amqp://u:***@h and ***'],
    ['cannot use ws://h:1/x?token=t0k&a=b: refused', [], 'cannot use ws://h:1/x?token=redacted&a=b: refused'],
    ['login p@ss / p%40ss refused', ['p@ss'], 'login *** / *** refused'],
    ['ws://[::1]:8080/feed closed (1006)', [], 'ws://[::1]:8080/feed closed (1006)'],
    ['a short secret is left alone: ab', ['ab'], 'a short secret is left alone: ab'],
    ['is this an AMQP port? for TLS use amqps://', [], 'is this an AMQP port? for TLS use amqps://'],
  ];
  for (const [text, secrets, expected] of cases) assert.equal(redactText(text, secrets), expected, text);
});

test('passwordOf: the decoded password, or null', () => {
  assert.equal(passwordOf('amqp://bob:p%40ss@h'), 'p@ss');
  assert.equal(passwordOf('amqp://bob@h'), null);
  assert.equal(passwordOf('not a url'), null);
});
