import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { ImportLineError, fromJsonlRecord, importJsonl, toJsonlRecord } from '../../src/core/io/jsonl.ts';
import { fromKcatEnvelope, importKcat } from '../../src/core/io/kcat.ts';
import { parseObject } from '../../src/core/io/lines.ts';
import { SessionStore } from '../../src/core/store/session-store.ts';
import { decodePayload, decodeUtf8, hexDump, previewPayload } from '../../src/core/decode/payload.ts';
import { classifyMessage, extractCorrelation, header, parseJsonObject } from '../../src/core/analysis/correlation.ts';
import { DEFAULT_ANALYSIS_CONFIG } from '../../src/core/analysis/config.ts';
import { decodeRequest } from '../../src/shared/envelope.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { startBridge, type Bridge } from '../../src/core/bridge/server.ts';
import type { CapturedMessage, JsonValue } from '../../src/shared/model.ts';
import { prng } from '../../src/core/demo/traffic.ts';

// Hostile input, generated: a fixed seed, so a failure replays exactly, and a time budget
// per part, so the suite stays fast. Each part must accept its input or refuse it with its
// own clear error; a RangeError, a TypeError, a hang or a dead server is a finding.

// FUZZ_SEED explores other sequences by hand; the suite always runs the fixed one.
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f00d);
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 1500);
const MAX_CASES = 20_000;

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  bytes(max = 64): Buffer {
    return Buffer.from(Array.from({ length: this.int(max) }, () => this.int(256)));
  }
  string(): string {
    const parts = ['', 'a', 'é', '\u202E', '\u0000', '\uD800', '\uDC00', '😀', '"', '\\', '%', '_', "'", '\n', 'invoice_', '{', '}', '[', ']', ':', ',', 'null', '1e309', '-0', '\u2028', 'NaN'];
    let s = '';
    for (let i = this.int(6); i > 0; i--) s += this.chance(0.7) ? this.pick(parts) : String.fromCharCode(this.int(0x10000));
    return s;
  }
  number(): number {
    return this.pick([0, -0, 1, -1, 0.5, 7, 2 ** 31, 2 ** 31 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1.23e29, 1e300, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, 1.7e12, 8.64e15, 8.64e15 + 1, -1, this.rnd() * 1e13, -this.rnd() * 1e13]);
  }
  key(): string {
    return this.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'id', 'method', 'result', 'error', 'correlationId', 'correlation-id', 'traceparent', '$base64', '!', 'value', '', this.string()]);
  }
  json(depth = 0): JsonValue {
    const r = this.int(depth > 4 ? 4 : 7);
    if (r === 0) return null;
    if (r === 1) return this.chance(0.5);
    if (r === 2) return this.number();
    if (r === 3) return this.string();
    if (r === 4) return Array.from({ length: this.int(4) }, () => this.json(depth + 1));
    // Deeper values would overflow this test's own JSON.stringify; 100,000 levels come as text (DEEP).
    if (r === 5 && this.chance(0.05)) return deepValue(this.pick([129, 1000]));
    return objectOf(Array.from({ length: this.int(5) }, () => [this.key(), this.json(depth + 1)] as [string, JsonValue]));
  }
  /** Mutates JSON text: cut, spliced, doubled or garbled, mostly still near-valid. */
  mangle(text: string): string {
    switch (this.int(6)) {
      case 0:
        return text.slice(0, this.int(text.length + 1));
      case 1: {
        const at = this.int(text.length + 1);
        return text.slice(0, at) + this.pick(['{', '}', '"', ',', '[', ']', ':', '\\u', '\u0000', 'null', '1e999', this.string()]) + text.slice(at);
      }
      case 2:
        return text + text;
      case 3:
        return JSON.stringify(this.json());
      default:
        return text;
    }
  }
}

/** An object with exactly these own keys (`__proto__` included), as JSON.parse makes them. */
function objectOf(entries: [string, JsonValue][]): Record<string, JsonValue> {
  const o: Record<string, JsonValue> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** JSON text nested 100,000 levels deep, spliced into generated lines. */
const DEEP = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

function deepValue(levels: number): JsonValue {
  return JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`) as JsonValue;
}

/** Runs `one` on generated cases until the budget or the case cap is reached; returns how many ran. */
async function fuzz(name: string, seed: number, one: (g: Gen, i: number) => void | Promise<void>, diagnostic?: (text: string) => void): Promise<number> {
  const g = new Gen(prng(seed));
  const deadline = performance.now() + BUDGET_MS;
  let i = 0;
  for (; i < MAX_CASES && performance.now() < deadline; i++) {
    try {
      await one(g, i);
    } catch (err) {
      throw new Error(`${name}, case ${i} (seed ${seed}): ${(err as Error).stack ?? String(err)}`);
    }
  }
  assert.ok(i > 20, `${name} ran ${i} cases`);
  diagnostic?.(`${name}: ${i} cases in ${BUDGET_MS} ms (seed ${seed})`);
  return i;
}

/** The importers' contract: accept, or throw ImportLineError naming the line. */
function acceptOrLineError(line: number, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ImportLineError)) throw err;
    assert.match(err.message, new RegExp(`^line ${line}: \\S`));
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-fuzz-'));
let store: SessionStore;
before(() => {
  store = SessionStore.create(path.join(dir, 'fuzz.flowscope'));
});
after(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What an accepted message must survive: stored, read back, exported, decoded and correlated. */
function roundTrip(m: CapturedMessage): void {
  store.insertBatch([m]);
  const back = store.get(store.lastSeq)!;
  JSON.stringify(toJsonlRecord(back));
  decodePayload(back.payload);
  extractCorrelation({ ...back });
}

const JSONL_BASE = { transport: 'kafka', event: 'publish', destination: 'orders', partition: 0, offset: '1', timeMs: 1.7e12, payload: '{"id":1}' };
const JSONL_FIELDS = ['transport', 'event', 'destination', 'destKind', 'partition', 'offset', 'timeMs', 'time', 'brokerTime', 'endpoint', 'routingKey', 'connection', 'key', 'keyBase64', 'headers', 'properties', 'payload', 'payloadBase64', 'correlationId', 'messageId', 'replyTo', 'meta', '__proto__', 'constructor'];

test('JSON Lines importer: any line is imported exactly or refused with its line number', async (t) => {
  const n = await fuzz('jsonl', SEED, (g, i) => {
    const rec = objectOf(Object.entries(JSONL_BASE) as [string, JsonValue][]);
    for (let k = g.int(4); k > 0; k--) {
      const field = g.pick(JSONL_FIELDS);
      if (g.chance(0.2)) delete rec[field];
      else Object.defineProperty(rec, field, { value: g.json(), enumerable: true, writable: true, configurable: true });
    }
    let text = g.chance(0.3) ? g.mangle(JSON.stringify(rec)) : JSON.stringify(rec);
    if (g.chance(0.01)) text = text.replace(/\}$/, `,"${g.pick(['headers', 'meta', 'properties', 'payload'])}":${DEEP}}`);
    const line = i + 1;
    acceptOrLineError(line, () => roundTrip(fromJsonlRecord(parseObject(text, line), line)));
  }, (d) => t.diagnostic(d));
  // Whole files through the import command's own path, a few lines each.
  const g = new Gen(prng(SEED + 1));
  for (let f = 0; f < 10; f++) {
    const input = path.join(dir, `f${f}.jsonl`);
    fs.writeFileSync(input, Array.from({ length: 5 }, () => (g.chance(0.5) ? JSON.stringify(JSONL_BASE) : g.mangle(JSON.stringify(JSONL_BASE)))).join('\n'));
    await importJsonl(input, path.join(dir, `f${f}.flowscope`), {}).catch((err: unknown) => {
      if (!(err instanceof ImportLineError)) throw err;
    });
  }
  assert.ok(n > 0);
});

const KCAT_BASE = { topic: 'orders', partition: 0, offset: 1, tstype: 'create', ts: 1.7e12, broker: 1, headers: ['h', 'v'], key: 'k', payload: 'v' };
const KCAT_FIELDS = ['topic', 'partition', 'offset', 'tstype', 'ts', 'broker', 'headers', 'key', 'payload', 'transport', '__proto__'];

test('kcat importer: any envelope is imported exactly or refused with its line number', async (t) => {
  await fuzz('kcat', SEED + 2, (g, i) => {
    const rec = objectOf(Object.entries(KCAT_BASE) as [string, JsonValue][]);
    for (let k = g.int(4); k > 0; k--) {
      const field = g.pick(KCAT_FIELDS);
      const value = field === 'headers' && g.chance(0.6) ? Array.from({ length: 2 * g.int(4) }, () => (g.chance(0.8) ? g.key() : g.json())) : g.json();
      if (g.chance(0.15)) delete rec[field];
      else Object.defineProperty(rec, field, { value, enumerable: true, writable: true, configurable: true });
    }
    // kcat lines are read as Latin-1 (one char per byte); raw bytes land in its strings.
    let text = g.chance(0.3) ? g.mangle(JSON.stringify(rec)) : JSON.stringify(rec);
    if (g.chance(0.01)) text = text.replace(/\}$/, `,"${g.pick(['key', 'payload'])}":${DEEP}}`);
    const bytes = g.chance(0.2) ? Buffer.concat([Buffer.from(text), g.bytes(8)]) : Buffer.from(text);
    const line = i + 1;
    acceptOrLineError(line, () => roundTrip(fromKcatEnvelope(parseObject(bytes.toString('latin1'), line), line)));
  }, (d) => t.diagnostic(d));
  const input = path.join(dir, 'k.kcat');
  fs.writeFileSync(input, `${JSON.stringify(KCAT_BASE)}\n%notice\n${JSON.stringify({ ...KCAT_BASE, offset: 1.23e29 })}\n`);
  await assert.rejects(importKcat(input, path.join(dir, 'k.flowscope'), {}), ImportLineError);
});

test('payload decoders: any bytes decode, preview and dump without throwing', async (t) => {
  await fuzz('decode', SEED + 3, (g) => {
    const bytes = g.pick([
      () => g.bytes(300),
      () => Buffer.from(JSON.stringify(g.json())),
      () => Buffer.from(g.mangle(JSON.stringify(g.json()))),
      () => Buffer.from(g.string()),
      () => Buffer.from(`${'['.repeat(g.pick([10, 5000, 100_000]))}${g.chance(0.5) ? ']'.repeat(100) : ''}`),
      () => Buffer.from(DEEP),
      () => Buffer.concat([Buffer.from('{"a":"'), g.bytes(40), Buffer.from('"}')]),
    ])();
    const d = decodePayload(bytes, g.pick([0, 10, 2_000_000]));
    assert.ok(['json', 'text', 'binary'].includes(d.encoding));
    if (d.encoding !== 'binary') assert.equal(typeof d.text, 'string');
    previewPayload(bytes, g.pick([0, 1, 3, 160]), g.chance(0.5));
    hexDump(bytes, g.pick([0, 16, 4096]));
    decodeUtf8(bytes);
  }, (d) => t.diagnostic(d));
});

test('correlation extractor: any headers, properties, payload and settings are read without throwing', async (t) => {
  await fuzz('correlation', SEED + 4, (g) => {
    const obj = (): Record<string, JsonValue> | null => {
      const v = g.json();
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : g.chance(0.5) ? null : objectOf([[g.key(), g.json()]]);
    };
    const msg: CapturedMessage = {
      time: g.number(),
      transport: g.pick(['kafka', 'amqp', 'ws'] as const),
      endpoint: 'e',
      event: g.pick(['publish', 'deliver', 'frame-in', 'frame-out', 'open'] as const),
      destKind: 'topic',
      destination: g.string(),
      headers: obj(),
      properties: obj(),
      payload: g.chance(0.01) ? Buffer.from(DEEP) : g.chance(0.7) ? Buffer.from(JSON.stringify(objectOf([[g.key(), g.json()], [g.pick(['id', 'method', 'result']), g.json()]]))) : g.bytes(100),
      correlationId: g.chance(0.2) ? g.string() : null,
    };
    const config = {
      ...DEFAULT_ANALYSIS_CONFIG.correlation,
      headerNames: g.chance(0.5) ? DEFAULT_ANALYSIS_CONFIG.correlation.headerNames : [g.key(), g.key()],
      jsonPaths: g.chance(0.5) ? DEFAULT_ANALYSIS_CONFIG.correlation.jsonPaths : [g.key(), `${g.key()}.${g.key()}`, '__proto__.constructor'],
    };
    const c = classifyMessage(msg, config);
    for (const v of [c.correlationId, c.messageId, c.replyTo]) assert.ok(v === null || typeof v === 'string', `ids are text: ${String(v)}`);
    extractCorrelation(msg, config);
    if (msg.headers) header(msg.headers, config.headerNames);
    parseJsonObject(msg.payload, 1 << 20);
  }, (d) => t.diagnostic(d));
});

let engine: Engine;
let bridge: Bridge;

test('bridge request parsing: any frame gets an error reply or a clean close, and the server keeps serving', async (t) => {
  engine = new Engine({ dataDir: fs.mkdtempSync(path.join(dir, 'engine-')), version: 'fuzz', transport: 'bridge' });
  bridge = await startBridge({ engine, port: 0 });
  try {
    // A small session to run queries against.
    const input = path.join(dir, 'bridge.jsonl');
    fs.writeFileSync(input, `${JSON.stringify(JSONL_BASE)}\n${JSON.stringify({ ...JSONL_BASE, headers: objectOf([['__proto__', 'p'], ['correlation-id', 'c1']]) })}\n`);
    const info = (await engine.handle('renderer:session:import', { path: input, format: 'jsonl' })) as { id: string };

    // Channels that read; those that create files, connect to brokers or start traffic are
    // left out: random input there would reach the network and the disk, not the parser.
    const channels = [
      'renderer:app:info', 'renderer:session:list', 'renderer:session:info', 'renderer:session:gaps', 'renderer:endpoint:list', 'renderer:messages:query',
      'renderer:messages:get', 'renderer:messages:destinations', 'renderer:analysis:summary', 'renderer:analysis:pairs',
      'renderer:analysis:latency', 'renderer:analysis:undelivered', 'renderer:analysis:topology', 'renderer:analysis:timeline',
      'renderer:replay:cancel', 'renderer:unknown', 'constructor', '__proto__',
    ];
    const field = (g: Gen): [string, JsonValue] => {
      const k = g.pick(['sessionId', 'filter', 'offset', 'afterSeq', 'limit', 'order', 'withTotal', 'seq', 'untilTime', 'buckets', 'destination', 'status', 'replayId', '__proto__']);
      const v: JsonValue =
        k === 'sessionId' ? g.pick([info.id, info.id, g.string()]) : k === 'filter' ? objectOf([[g.pick(['text', 'header', 'destinations', 'fromTime', 'seqs', 'key', '__proto__']), g.json()]]) : g.chance(0.5) ? g.number() : g.json();
      return [k, v];
    };
    // One fuzz case is one frame; the socket is reopened when the server closes it (1003 for non-JSON).
    let ws: WebSocket | null = null;
    const replies = new Map<number, (r: { id: number; ok: boolean }) => void>();
    const open = async (): Promise<WebSocket> => {
      if (ws && ws.readyState === ws.OPEN) return ws;
      const sock = new WebSocket(`ws://127.0.0.1:${bridge.port}/bridge?token=${bridge.token}`);
      sock.on('message', (data) => {
        const r = JSON.parse(data.toString()) as { id?: number; ok?: boolean };
        if (typeof r.id === 'number') replies.get(r.id)?.(r as { id: number; ok: boolean });
      });
      await new Promise<void>((resolve, reject) => {
        sock.once('open', () => resolve());
        sock.once('error', reject);
      });
      ws = sock;
      return sock;
    };
    let nextId = 1;
    const ask = async (frame: string | Buffer, id: number | null): Promise<void> => {
      const sock = await open();
      if (id === null) {
        const closed = new Promise<number>((resolve) => sock.once('close', (code) => resolve(code)));
        sock.send(frame);
        assert.equal(await withTimeout(closed, 'the close of a non-JSON frame'), 1003);
        return;
      }
      const reply = new Promise<{ id: number; ok: boolean }>((resolve) => replies.set(id, resolve));
      sock.send(frame);
      const r = await withTimeout(reply, `a reply to ${String(frame).slice(0, 120)}`);
      assert.equal(r.id, id);
      replies.delete(id);
    };
    const cases = await fuzz('bridge', SEED + 5, async (g) => {
      const kind = g.int(10);
      if (kind === 0) return ask(g.chance(0.5) ? g.mangle('{"id":1,"channel":"renderer:app:info","input":{}}').replace(/^\{/, '') + '\u0000' : g.bytes(20), null);
      if (kind === 1) {
        // Not an object at all: `null`, `true`, `0`, `"str"`, `[]` are answered, not fatal.
        const raw = g.pick(['null', 'true', '0', '"str"', '[]', '[1,2]', '-1e309']);
        assert.equal(decodeRequest(JSON.parse(raw)).ok, false);
        const sock = await open();
        const reply = new Promise<{ id: number; ok: boolean }>((resolve) => replies.set(-1, resolve));
        sock.send(raw);
        const r = await withTimeout(reply, `a reply to ${raw}`);
        assert.equal(r.ok, false);
        replies.delete(-1);
        return;
      }
      const id = nextId++;
      const input = g.chance(0.1) ? g.json() : objectOf(Array.from({ length: g.int(4) }, () => field(g)));
      const extra = g.key();
      const more: [string, JsonValue][] = g.chance(0.1) && !['id', 'channel', 'input'].includes(extra) ? [[extra, g.json()]] : [];
      const envelope = objectOf([['id', id], ['channel', g.pick(channels)], ['input', input], ...more]);
      decodeRequest(envelope);
      return ask(JSON.stringify(envelope), id);
    }, (d) => t.diagnostic(d));
    assert.ok(cases > 20);
    // Still serving: a plain request answers, and so does HTTP.
    const id = nextId++;
    await ask(JSON.stringify({ id, channel: 'renderer:app:info', input: {} }), id);
    for (const p of ['/%00', '/..%2f..%2fetc%2fpasswd', '/bridge', `/${'a'.repeat(5000)}`]) {
      const res = await fetch(`http://127.0.0.1:${bridge.port}${p}`);
      assert.ok(res.status >= 200 && res.status < 500, `${p} → ${res.status}`);
    }
    (ws as WebSocket | null)?.close();
  } finally {
    await bridge.close();
    await engine.shutdown();
  }
});

function withTimeout<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s: ${what} (a hang)`)), ms);
    }),
  ]);
}
