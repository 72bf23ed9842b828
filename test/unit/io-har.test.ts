import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImportDocumentError, harMessages, importHar } from '../../src/core/io/har-import.ts';
import { exportHar } from '../../src/core/io/har-export.ts';
import { firstSyntaxError } from '../../src/core/io/json-document.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { HAR_MAX_BYTES } from '../../src/core/common/constants.ts';
import type { CapturedMessage, StoredMessage } from '../../src/shared/model.ts';
import { prng } from '../../src/core/demo/traffic.ts';
import { tmpDir } from '../helpers/tmp.ts';

// HAR (issue 15): Chrome DevTools' and mitmproxy's WebSocket captures in, a session's
// WebSocket connections out in the same form, and a broken file refused with its place.

const here = path.dirname(fileURLToPath(import.meta.url));
const CHROME = path.join(here, '../fixtures/chrome-websocket.har');
const dir = tmpDir();
let n = 0;
const next = (ext: string) => path.join(dir, `${++n}${ext}`);

function read(file: string): StoredMessage[] {
  const s = SessionStore.open(file, { readonly: true });
  try {
    return [...s.iterate()];
  } finally {
    s.close();
  }
}

/** What a frame is to a user: where, which way, what kind, its exact bytes and its time to the millisecond. */
function frames(msgs: StoredMessage[]) {
  return msgs
    .filter((m) => m.event === 'frame-in' || m.event === 'frame-out')
    .map((m) => ({
      endpoint: m.endpoint,
      connection: m.connection,
      destination: m.destination,
      event: m.event,
      opcode: m.meta?.opcode,
      bytes: Buffer.from(m.payload).toString('hex'),
      ms: Math.round(m.time),
    }));
}

test("Chrome DevTools' HAR imports every WebSocket frame with its direction, kind, bytes and time; other requests are left out", async () => {
  const out = next('.flowscope');
  const r = await importHar(CHROME, out, {});
  assert.deepEqual({ connections: r.connections, skipped: r.skipped }, { connections: 1, skipped: 1 });
  const msgs = read(out);
  const open = msgs.find((m) => m.event === 'open')!;
  assert.equal(open.endpoint, '127.0.0.1:8765');
  assert.equal(open.destination, '/chat');
  assert.equal(open.time, Date.parse('2026-03-04T10:15:30.164Z'));
  assert.deepEqual(open.meta, { target: 'ws://127.0.0.1:8765/chat?room=7', subprotocol: 'chat.v2' });
  const doc = JSON.parse(fs.readFileSync(CHROME, 'utf8')) as { log: { entries: { _webSocketMessages?: { type: string; time: number; opcode: number; data: string }[] }[] } };
  const want = doc.log.entries[1]!._webSocketMessages!;
  const got = msgs.filter((m) => m.event.startsWith('frame-'));
  assert.equal(got.length, want.length);
  got.forEach((m, i) => {
    const w = want[i]!;
    assert.equal(m.event, w.type === 'send' ? 'frame-out' : 'frame-in', `frame ${i} direction`);
    assert.equal(m.meta?.opcode, w.opcode === 2 ? 'binary' : 'text');
    assert.deepEqual(Buffer.from(m.payload), w.opcode === 2 ? Buffer.from(w.data, 'base64') : Buffer.from(w.data, 'utf8'));
    assert.ok(Math.abs(m.time - w.time * 1000) < 0.001, `frame ${i} time ${m.time} vs ${w.time}`);
    assert.equal(m.connection, '118807');
  });
  const s = SessionStore.open(out, { readonly: true });
  assert.deepEqual(s.endpoints().map((e) => e.label), ['127.0.0.1:8765 (imported from chrome-websocket.har)']);
  assert.equal(s.getMeta().import_format, 'har');
  s.close();
});

const T0 = 1_772_619_330_000.123;
function ws(over: Partial<CapturedMessage> & Pick<CapturedMessage, 'event' | 'time'>): CapturedMessage {
  return { transport: 'ws', endpoint: 'shop', destKind: 'socket', destination: '/rpc', connection: 'c1', payload: new Uint8Array(0), ...over };
}

test('a WebSocket session exported as HAR re-imports with identical frames: bytes, directions, kinds and times', async () => {
  const file = next('.flowscope');
  const s = SessionStore.create(file);
  const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69]);
  const notUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);
  s.insertBatch([
    ws({ time: T0, event: 'open', meta: { target: 'ws://shop.example:8080/rpc', subprotocol: 'jsonrpc' } }),
    ws({ time: T0 + 0.4567, event: 'frame-out', payload: Buffer.from('{"id":1,"method":"buy"}'), meta: { opcode: 'text' } }),
    ws({ time: T0 + 1, event: 'open', connection: 'c2', destination: '/feed', meta: { target: 'ws://shop.example:8080/feed' } }),
    ws({ time: T0 + 1.25, event: 'frame-in', connection: 'c2', destination: '/feed', payload: Buffer.from([0, 1, 2, 255]), meta: { opcode: 'binary' } }),
    ws({ time: T0 + 2.5, event: 'frame-in', payload: Buffer.from('{"id":1,"result":"ok ✓"}'), meta: { opcode: 'text' } }),
    ws({ time: T0 + 3, event: 'frame-out', payload: notUtf8, meta: { opcode: 'text' } }),
    ws({ time: T0 + 4, event: 'frame-out', payload: bom, meta: { opcode: 'text' } }),
    ws({ time: T0 + 5, event: 'frame-out', payload: Buffer.alloc(0), meta: { opcode: 'text' } }),
    ws({ time: T0 + 5, event: 'frame-in', payload: Buffer.alloc(0), meta: { opcode: 'binary' } }),
    ws({ time: T0 + 6, event: 'close', meta: { code: 1000, reason: '', by: 'client' } }),
    // Not WebSocket traffic: a HAR has no place for it.
    { time: T0 + 2, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 'orders', partition: 0, offset: '1', payload: Buffer.from('x') },
  ]);
  const har = next('.har');
  const r = await exportHar(s, har, { version: 'test' });
  const before = frames([...s.iterate()]);
  s.close();
  assert.deepEqual(r, { connections: 2, frames: 7 });

  // The shape DevTools' HAR importer reads (front_end/models/har/HARFormat.ts).
  const doc = JSON.parse(fs.readFileSync(har, 'utf8')) as { log: Record<string, unknown> & { entries: Record<string, unknown>[] } };
  assert.equal(doc.log.version, '1.2');
  assert.deepEqual(doc.log.creator, { name: 'Flowscope', version: 'test' });
  for (const e of doc.log.entries) {
    assert.equal(e._resourceType, 'websocket');
    assert.equal((e.response as { status: number }).status, 101);
    for (const k of ['startedDateTime', 'time', 'request', 'response', 'cache', 'timings']) assert.ok(k in e, `entry has ${k}`);
    for (const k of ['method', 'url', 'httpVersion', 'headers', 'queryString', 'cookies', 'headersSize', 'bodySize']) assert.ok(k in (e.request as object), `request has ${k}`);
  }
  assert.deepEqual(doc.log.entries.map((e) => (e.request as { url: string }).url), ['ws://shop.example:8080/rpc', 'ws://shop.example:8080/feed']);
  const rpc = doc.log.entries[0]!._webSocketMessages as { type: string; opcode: number; data: string; time: number }[];
  assert.deepEqual(rpc.map((f) => f.type), ['send', 'receive', 'send', 'send', 'send', 'receive']);
  assert.equal(rpc[0]!.data, '{"id":1,"method":"buy"}', 'text frames are their text, as DevTools shows them');
  assert.equal((doc.log.entries[1]!._webSocketMessages as { data: string }[])[0]!.data, 'AAEC/w==', 'binary frames are base64 with opcode 2');

  const back = next('.flowscope');
  const imp = await importHar(har, back, {});
  assert.equal(imp.connections, 2);
  const after = frames(read(back)).map((f) => ({ ...f, endpoint: 'shop' }));
  assert.deepEqual(after, before);
  assert.equal(read(back)[0]!.endpoint, 'shop.example:8080', 'the endpoint is the host the connections went to');
});

test('a session with no WebSocket traffic is refused as HAR, and no file is written', async () => {
  const file = next('.flowscope');
  const s = SessionStore.create(file);
  s.insertBatch([{ time: T0, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 'orders', partition: 0, offset: '1', payload: Buffer.from('x') }]);
  const har = next('.har');
  await assert.rejects(exportHar(s, har, { version: 'test' }), /has no WebSocket connections/);
  s.close();
  assert.equal(fs.existsSync(har), false);
});

/** Imports `doc` (an object, or raw text) and returns the refusal's message; no session file may be left. */
async function refused(doc: unknown): Promise<string> {
  const input = next('.har');
  fs.writeFileSync(input, typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc, null, 2));
  const out = next('.flowscope');
  const err = await importHar(input, out, {}).then(
    () => assert.fail('accepted'),
    (e: Error) => e,
  );
  assert.equal(err.name, 'ImportDocumentError', `a clear import error, not ${err.name}: ${err.message.slice(0, 200)}`);
  assert.equal(fs.readdirSync(dir).some((f) => f.includes(path.basename(out))), false, 'no session file is left');
  return err.message;
}

const frame = { type: 'send', time: 1_772_619_330.5, opcode: 1, data: 'hi' };
const wsEntry = (frames: unknown[], over: Record<string, unknown> = {}) => ({ _resourceType: 'websocket', startedDateTime: '2026-03-04T10:15:30.164Z', request: { url: 'ws://h:1/x' }, response: { status: 101 }, _webSocketMessages: frames, ...over });
const har = (...entries: unknown[]) => ({ log: { version: '1.2', entries } });

test('a broken HAR is refused with the reason and where it is', async () => {
  assert.equal(await refused('{\n  "log": {\n    "entries": [,]\n  }\n}'), "line 3, column 17: invalid JSON: unexpected ',' where a value should be");
  assert.equal(await refused('{"log": {"entries": [ {"a": 1} '), 'line 1, column 32: invalid JSON: the document ends with 3 array(s) or object(s) still open');
  assert.equal(await refused(Buffer.from([0x7b, 0x0a, 0x22, 0xff, 0x22, 0x7d])), 'line 2, column 2: not valid UTF-8 (byte 3 of the file); HAR files are UTF-8 JSON');
  assert.equal(await refused([1]), 'the document: must be a JSON object, found an array');
  assert.equal(await refused({ entries: [] }), 'log: missing');
  assert.equal(await refused({ log: {} }), 'log.entries: missing (a HAR file lists its requests in log.entries)');
  assert.match(await refused(har({ request: { url: 'http://h/' } })), /^log\.entries: no WebSocket entries among 1 /);
  assert.equal(await refused(har(wsEntry([frame, { ...frame, opcode: 9 }]))), 'log.entries[0]._webSocketMessages[1].opcode: must be 1 (text) or 2 (binary), found 9');
  assert.equal(await refused(har({}, wsEntry([{ ...frame, opcode: 2, data: 'not base64!' }]))), 'log.entries[1]._webSocketMessages[0].data: a binary frame (opcode 2) must hold base64');
  assert.equal(await refused(har(wsEntry([{ ...frame, time: '12:00' }]))), 'log.entries[0]._webSocketMessages[0].time: must be a number (seconds since the epoch), found string');
  assert.equal(await refused(har(wsEntry([{ ...frame, time: 1e300 }]))), 'log.entries[0]._webSocketMessages[0].time: is after 9999-12-31');
  assert.equal(await refused(har(wsEntry([{ ...frame, type: 'sent' }]))), 'log.entries[0]._webSocketMessages[0].type: must be "send" or "receive", found "sent"');
  assert.equal(await refused(har(wsEntry([frame], { request: { url: 'ftp://h/x' } }))), 'log.entries[0].request.url: must be a ws://, wss://, http:// or https:// URL with a host');
  assert.equal(await refused(har(wsEntry([frame], { startedDateTime: 'yesterday' }))), 'log.entries[0].startedDateTime: is not an ISO 8601 date');
  assert.equal(await refused(har(wsEntry({ length: 1 } as unknown as unknown[]))), 'log.entries[0]._webSocketMessages: must be an array, found an object');
});

test('deep and huge HAR files are refused or read safely, never a crash', async () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  // Deep JSON where a frame's text belongs is refused; deep JSON in fields Flowscope does not read is ignored.
  const text = JSON.stringify(har(wsEntry([{ ...frame, data: '__DEEP__' }]))).replace('"__DEEP__"', deep);
  assert.equal(await refused(text), 'log.entries[0]._webSocketMessages[0].data: must be a string, found an array');
  const ignored = next('.har');
  fs.writeFileSync(ignored, JSON.stringify(har(wsEntry([frame], { _initiator: '__DEEP__' }))).replace('"__DEEP__"', deep));
  assert.equal((await importHar(ignored, next('.flowscope'), {})).count, 2);
  // A broken deep document still gets a place, not a stack overflow.
  assert.equal(await refused(`${'['.repeat(100_000)}}`), 'line 1, column 100001: invalid JSON: unexpected \'}\' where a value should be');
  // Past the size limit nothing is read (a sparse file: no disk used).
  const huge = next('.har');
  fs.writeFileSync(huge, '{');
  fs.truncateSync(huge, HAR_MAX_BYTES + 1);
  const err = await importHar(huge, next('.flowscope'), {}).catch((e: Error) => e);
  assert.ok(err instanceof ImportDocumentError);
  assert.match(err.message, /is 256 MiB; HAR files are read whole, up to 256 MiB$/);
});

test('the JSON error finder agrees with JSON.parse on which texts are valid', () => {
  const rnd = prng(0x4a52);
  const parts = ['{', '}', '[', ']', '"a"', ':', ',', '1', '-0.5e3', 'true', 'null', ' ', '"\\u12"', '"\\n"', '"x', '01', '\n'];
  for (let i = 0; i < 20_000; i++) {
    let s = '';
    for (let k = Math.floor(rnd() * 10); k > 0; k--) s += parts[Math.floor(rnd() * parts.length)];
    let valid = true;
    try {
      JSON.parse(s);
    } catch {
      valid = false;
    }
    const found = firstSyntaxError(s);
    assert.equal(found.problem === 'the document is valid', valid, `${JSON.stringify(s)}: ${found.problem}`);
  }
});

test('HAR importer: any mangled document is imported or refused with its place, never another error', () => {
  const rnd = prng(0x15a2);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const values: unknown[] = [null, true, 0, -1, 1e300, Number.NaN, '', 'x', 'ws://h/x', 'AAEC', [], {}, [1], { a: 1 }, '__proto__', 1.7e9, 101, 'send', 'receive', 'websocket'];
  const fields = ['log', 'entries', 'request', 'url', 'response', 'status', 'headers', '_webSocketMessages', 'type', 'time', 'opcode', 'data', 'startedDateTime', 'connection', '_resourceType', '_flowscopeBase64', '__proto__'];
  let accepted = 0;
  for (let i = 0; i < 5000; i++) {
    const doc = JSON.parse(JSON.stringify(har(wsEntry([frame, { ...frame, type: 'receive', opcode: 2, data: 'AAEC' }], { connection: 'c9', response: { status: 101, headers: [{ name: 'Sec-WebSocket-Protocol', value: 'p' }] } })))) as unknown;
    for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
      // Walk to a random object inside and set or delete one field.
      let cur = doc as Record<string, unknown>;
      for (let d = Math.floor(rnd() * 6); d > 0; d--) {
        const kids = Object.values(cur).filter((v) => v !== null && typeof v === 'object') as Record<string, unknown>[];
        if (kids.length === 0) break;
        cur = pick(kids);
      }
      const f = pick(fields);
      if (rnd() < 0.2) delete cur[f];
      else Object.defineProperty(cur, f, { value: pick(values), enumerable: true, writable: true, configurable: true });
    }
    try {
      const r = harMessages(doc);
      for (const m of r.messages) assert.ok(Number.isFinite(m.time) && m.payload instanceof Uint8Array);
      accepted += 1;
    } catch (err) {
      if (!(err instanceof ImportDocumentError)) throw new Error(`case ${i}: ${(err as Error).stack}\n${JSON.stringify(doc)}`);
      assert.match(err.message, /^(log|the document)\S*: \S/);
    }
  }
  assert.ok(accepted > 100, `some mangled documents are still HAR (${accepted})`);
});
