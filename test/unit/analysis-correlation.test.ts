import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMessage, createEnricher, extractCorrelation } from '../../src/core/analysis/correlation.ts';
import { DEFAULT_ANALYSIS_CONFIG, analysisConfigSchema, resolveAnalysisConfig } from '../../src/core/analysis/config.ts';
import type { CapturedMessage } from '../../src/shared/model.ts';
import { bytes } from './analysis-helpers.ts';

const cfg = DEFAULT_ANALYSIS_CONFIG.correlation;

function kafka(headers: CapturedMessage['headers'], body: string | object = 'x'): CapturedMessage {
  return { time: 1, transport: 'kafka', endpoint: 'k', event: 'publish', destKind: 'topic', destination: 't', payload: bytes(body), headers };
}

test('AMQP properties fill correlationId, replyTo and messageId the connector left empty', () => {
  const m: CapturedMessage = {
    time: 1,
    transport: 'amqp',
    endpoint: 'r',
    event: 'publish',
    destKind: 'exchange',
    destination: 'amq.default',
    routingKey: 'rpc',
    payload: bytes('hello'),
    properties: { correlationId: 'c-1', replyTo: 'amq.gen-abc', messageId: 'm-1' },
  };
  const c = extractCorrelation(m, cfg);
  assert.equal(m.correlationId, 'c-1');
  assert.equal(m.replyTo, 'amq.gen-abc');
  assert.equal(m.messageId, 'm-1');
  assert.equal(c.role, 'request', 'a message naming a reply destination is a request');
  assert.equal(c.source, 'property');
});

test('values the connector already set are kept', () => {
  const m = kafka({ 'correlation-id': 'from-header' });
  m.correlationId = 'from-connector';
  extractCorrelation(m, cfg);
  assert.equal(m.correlationId, 'from-connector');
});

test('Kafka headers: default names, case-insensitive, binary values decoded', () => {
  assert.equal(classifyMessage(kafka({ 'X-Correlation-ID': 'abc' }), cfg).correlationId, 'abc');
  assert.equal(classifyMessage(kafka({ correlationId: 'def' }), cfg).correlationId, 'def');
  const b64 = Buffer.from('bin-id').toString('base64');
  assert.equal(classifyMessage(kafka({ 'correlation-id': { $base64: b64 } }), cfg).correlationId, 'bin-id');
  assert.equal(classifyMessage(kafka({ 'correlation-id': ['first', 'second'] }), cfg).correlationId, 'first', 'a repeated header');
  const reply = classifyMessage(kafka({ 'correlation-id': 'q', 'reply-to': 'answers' }), cfg);
  assert.equal(reply.replyTo, 'answers');
  assert.equal(reply.role, 'request');
});

test('configured header names replace the defaults', () => {
  const custom = resolveAnalysisConfig({ correlation: { headerNames: ['x-request-ref'] } }).correlation;
  assert.equal(classifyMessage(kafka({ 'x-request-ref': 'r1', 'correlation-id': 'ignored' }), custom).correlationId, 'r1');
  assert.equal(classifyMessage(kafka({ 'correlation-id': 'c' }), custom).correlationId, null);
});

test('the trace id of a W3C traceparent is a correlation id when no correlation header exists', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const c = classifyMessage(kafka({ traceparent: tp }), cfg);
  assert.equal(c.correlationId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(c.source, 'traceparent');
  assert.equal(classifyMessage(kafka({ traceparent: tp, 'correlation-id': 'explicit' }), cfg).correlationId, 'explicit');
  const stored = kafka({ traceparent: tp });
  stored.correlationId = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.equal(classifyMessage(stored, cfg).source, 'traceparent', 'still known as a trace id once stored');
  const zero = `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`;
  assert.equal(classifyMessage(kafka({ traceparent: zero }), cfg).correlationId, null, 'an all-zero trace id is invalid');
  const off = resolveAnalysisConfig({ correlation: { traceparent: false } }).correlation;
  assert.equal(classifyMessage(kafka({ traceparent: tp }), off).correlationId, null);
});

test('JSON-RPC: request (method + id), reply (result | error + id), notification (no id)', () => {
  const req = classifyMessage(kafka(null, { jsonrpc: '2.0', method: 'sum', params: [1, 2], id: 7 }), cfg);
  assert.deepEqual([req.role, req.correlationId, req.method, req.source], ['request', '7', 'sum', 'json-rpc']);
  const res = classifyMessage(kafka(null, { jsonrpc: '2.0', result: 3, id: 7 }), cfg);
  assert.deepEqual([res.role, res.correlationId], ['reply', '7']);
  const err = classifyMessage(kafka(null, { jsonrpc: '2.0', error: { code: -32601, message: 'no' }, id: 'a' }), cfg);
  assert.deepEqual([err.role, err.correlationId], ['reply', 'a']);
  const note = classifyMessage(kafka(null, { jsonrpc: '2.0', method: 'tick' }), cfg);
  assert.deepEqual([note.role, note.correlationId, note.method], ['notification', null, 'tick']);
  const entity = classifyMessage(kafka(null, { id: 42, name: 'order' }), cfg);
  assert.equal(entity.correlationId, null, 'a plain "id" field of an event is not a correlation id');
});

test('JSON body paths, nested paths, and what is not parsed', () => {
  assert.equal(classifyMessage(kafka(null, { requestId: 'r-9', data: 1 }), cfg).correlationId, 'r-9');
  const nested = resolveAnalysisConfig({ correlation: { jsonPaths: ['meta.trace'] } }).correlation;
  assert.equal(classifyMessage(kafka(null, { meta: { trace: 'deep' } }), nested).correlationId, 'deep');
  assert.equal(classifyMessage(kafka(null, '  {"correlationId":"ws"}\n'), cfg).correlationId, 'ws', 'surrounding whitespace is fine');
  assert.equal(classifyMessage(kafka(null, '[{"correlationId":"x"}]'), cfg).correlationId, null, 'arrays are not objects');
  assert.equal(classifyMessage(kafka(null, '{"correlationId": broken'), cfg).correlationId, null);
  const small = resolveAnalysisConfig({ correlation: { maxJsonBytes: 16 } }).correlation;
  assert.equal(classifyMessage(kafka(null, { correlationId: 'too-long-to-parse' }), small).correlationId, null);
  const binary = kafka(null);
  binary.payload = new Uint8Array([0x7b, 0xff, 0x00, 0x7d]);
  assert.equal(classifyMessage(binary, cfg).correlationId, null);
});

test('createEnricher fills WebSocket JSON-RPC frames and skips connection events', () => {
  const enrich = createEnricher(cfg);
  const frame: CapturedMessage = {
    time: 1,
    transport: 'ws',
    endpoint: 'p',
    event: 'frame-out',
    destKind: 'socket',
    destination: '/rpc',
    connection: 'c1',
    payload: bytes({ jsonrpc: '2.0', method: 'ping', id: 1 }),
  };
  enrich(frame);
  assert.equal(frame.correlationId, '1');
  const close: CapturedMessage = { ...frame, event: 'close', payload: bytes({ correlationId: 'no' }), correlationId: null };
  enrich(close);
  assert.equal(close.correlationId, null);
});

test('the config schema accepts partial settings and refuses unknown keys', () => {
  assert.ok(analysisConfigSchema.safeParse({ pairing: { timeoutMs: 5000 } }).success);
  assert.ok(!analysisConfigSchema.safeParse({ pairing: { timeoutMS: 5000 } }).success);
  assert.ok(!analysisConfigSchema.safeParse({ pairing: { timeoutMs: -1 } }).success);
  assert.equal(resolveAnalysisConfig({ pairing: { timeoutMs: 5000 } }).pairing.maxOpen, DEFAULT_ANALYSIS_CONFIG.pairing.maxOpen);
});

test('a body key is found past multi-byte text, escaped, or under a non-ASCII path name; a body without one is not parsed into a correlation', () => {
  const ws = (body: string): CapturedMessage => ({ time: 1, transport: 'ws', endpoint: 'p', event: 'publish', destKind: 'socket', destination: '/rpc', payload: Buffer.from(body, 'utf8') });
  for (const body of ['{"note":"délai ✓ 注文","id":7,"method":"order.get"}', '{"\\u0069d":7,"\\u006dethod":"order.get"}', '\ufeff {"id":7,"method":"order.get"} ']) {
    const c = classifyMessage(ws(body), cfg);
    assert.deepEqual([c.role, c.correlationId, c.method], ['request', '7', 'order.get'], body);
  }
  assert.equal(classifyMessage(ws('{"note":"ide","methods":1}'), cfg).role, null, 'near misses are no keys');
  const unicode = resolveAnalysisConfig({ correlation: { jsonPaths: ['注文.番号'] } }).correlation;
  const c = classifyMessage({ ...kafka(null), payload: Buffer.from('{"x":"y","注文":{"番号":"A-1"}}', 'utf8') }, unicode);
  assert.equal(c.correlationId, 'A-1', 'a path whose name is not ASCII');
});

test('a live frame is parsed once: the analysis takes the body the enricher parsed, under equal settings only, and classifies it the same', () => {
  const frames = (): CapturedMessage[] =>
    Array.from({ length: 400 }, (_, i) => ({
      time: 1_000 + i,
      transport: 'ws',
      endpoint: 'w',
      event: i % 2 ? 'frame-in' : 'frame-out',
      destKind: 'socket',
      destination: '/rpc',
      connection: 'c1',
      payload: bytes(i % 2 ? { jsonrpc: '2.0', id: i - 1, result: { ok: true } } : { jsonrpc: '2.0', id: i, method: 'echo' }),
    }));
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    parses += 1;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  try {
    // Another config object with the same settings, as the engine's enricher and analysis have.
    const analysisCfg = resolveAnalysisConfig({}).correlation;
    const enrich = createEnricher(resolveAnalysisConfig({}).correlation);
    const live = frames();
    for (const m of live) enrich(m);
    assert.equal(parses, live.length, 'the enricher parses each frame');
    const classified = live.map((m) => classifyMessage(m, analysisCfg));
    assert.equal(parses, live.length, 'the analysis parsed none again');
    // The same frames read back from a file (new objects) are parsed, and classified alike.
    const read = frames();
    for (const m of read) Object.assign(m, { correlationId: live[read.indexOf(m)]!.correlationId });
    assert.deepEqual(read.map((m) => classifyMessage(m, analysisCfg)), classified);
    assert.equal(parses, 2 * live.length);
    assert.deepEqual(classified.slice(0, 2).map((c) => [c.role, c.correlationId, c.method]), [['request', '0', 'echo'], ['reply', '0', null]]);
    // Other settings (a smaller size limit) do not take a body parsed under the enricher's.
    const again = frames();
    for (const m of again) enrich(m);
    const small = resolveAnalysisConfig({ correlation: { maxJsonBytes: 8 } }).correlation;
    assert.equal(classifyMessage(again[0]!, small).role, null, 'past its size limit the body is not read');
  } finally {
    JSON.parse = parse;
  }
});
