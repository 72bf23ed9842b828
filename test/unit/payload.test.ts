import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayload, decodeUtf8, hexDump, previewPayload } from '../../src/core/decode/payload.ts';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

test('JSON is recognised and pretty-printed as sent', () => {
  const d = decodePayload(bytes('{"jsonrpc":"2.0","id":7,"result":{"price":101.5,"tags":["a","b"],"none":{},"list":[]}}'));
  assert.equal(d.encoding, 'json');
  assert.deepEqual(d.json, { jsonrpc: '2.0', id: 7, result: { price: 101.5, tags: ['a', 'b'], none: {}, list: [] } });
  assert.equal(
    d.text,
    '{\n  "jsonrpc": "2.0",\n  "id": 7,\n  "result": {\n    "price": 101.5,\n    "tags": [\n      "a",\n      "b"\n    ],\n    "none": {},\n    "list": []\n  }\n}',
  );
  const arr = decodePayload(bytes('  [1, 2]\n'));
  assert.equal(arr.encoding, 'json');
  assert.equal(arr.text, '[\n  1,\n  2\n]');
});

test('JSON display keeps int64 ids, number spelling, escapes and separators inside strings', () => {
  const d = decodePayload(bytes('{"id":12345678901234567890,"v":1.0,"s":"a,b:{c}\\"d\\"","u":"\\u00e9"}'));
  assert.equal(d.encoding, 'json');
  assert.equal(d.text, '{\n  "id": 12345678901234567890,\n  "v": 1.0,\n  "s": "a,b:{c}\\"d\\"",\n  "u": "\\u00e9"\n}');
});

test('text that is not JSON is text, including text that only looks like JSON', () => {
  assert.deepEqual(decodePayload(bytes('hello world')), { encoding: 'text', text: 'hello world', json: undefined });
  assert.equal(decodePayload(bytes('{not json')).encoding, 'text');
  assert.equal(decodePayload(bytes('h\u00e9llo \u2713 \u{1F642}')).text, 'h\u00e9llo \u2713 \u{1F642}');
  assert.equal(decodePayload(bytes('line1\n\tline2\r\n')).encoding, 'text');
  assert.equal(decodePayload(new Uint8Array(0)).encoding, 'text');
});

test('invalid UTF-8 and control bytes are binary', () => {
  assert.equal(decodeUtf8(Buffer.from([0xff, 0xfe, 0x41])), null);
  assert.equal(decodeUtf8(bytes('ok')), 'ok');
  assert.deepEqual(decodePayload(Buffer.from([0x68, 0x69, 0xc3, 0x28])), { encoding: 'binary', text: null, json: undefined });
  // Valid UTF-8, but mostly control characters: a binary protocol, not text.
  assert.equal(decodePayload(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 0x41])).encoding, 'binary');
});

test('previews are one line of text, or hex for binary, and say when they are cut', () => {
  assert.equal(previewPayload(bytes('a\n  b\tc')), 'a b c');
  assert.equal(previewPayload(bytes('x'.repeat(200)), 160), `${'x'.repeat(160)}…`);
  assert.equal(previewPayload(bytes('short'), 160, true), 'short…', 'a preview of a longer payload ends with an ellipsis');
  // A cut through a multi-byte character still reads as text.
  const cut = previewPayload(bytes('ab\u00e9'), 3);
  assert.ok(cut.startsWith('ab') && cut.endsWith('…'));
  assert.equal(previewPayload(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1])), '0xdeadbeef0001');
  assert.equal(previewPayload(Buffer.alloc(40, 0)), `0x${'00'.repeat(32)}…`);
  assert.equal(previewPayload(Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81])), '0xfffefd8081', 'invalid UTF-8 is shown as hex');
  assert.equal(previewPayload(new Uint8Array(0)), '');
});

test('hex dumps show offsets, bytes and ASCII, bounded', () => {
  const dump = hexDump(bytes('Hello, World!\u0000\u0001\u0002ABC'));
  const [first, second] = dump.split('\n');
  assert.equal(first, '00000000  48 65 6c 6c 6f 2c 20 57 6f 72 6c 64 21 00 01 02  Hello, World!...');
  assert.equal(second, `00000010  ${'41 42 43'.padEnd(47)}  ABC`, 'a short last line keeps the ASCII column aligned');
  assert.match(hexDump(Buffer.alloc(100), 32), /… 68 more bytes$/);
});
