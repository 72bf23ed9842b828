import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configureLogging, fileSink, getLogger, parseLogLevel, type LogSink } from '../../src/core/common/logger.ts';
import { tmpDir } from '../helpers/tmp.ts';

function memory(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, write: (line) => lines.push(line) };
}

after(() => configureLogging());

test('every line is redacted: no password or token reaches the log', () => {
  const sink = memory();
  configureLogging({ sink, level: 'debug', env: {} });
  const log = getLogger('amqp');
  log.warn('connecting to amqp://guest:secret@rabbit:5672/ and ws://feed/x?token=t0ps3cret&room=1');
  log.error('login refused', new Error('Handshake terminated: amqp://bob:hunter22@h refused'));
  const text = sink.lines.join('\n');
  assert.doesNotMatch(text, /secret|hunter22|t0ps3cret/);
  assert.match(sink.lines[0]!, /WARN {2}\[amqp\] connecting to amqp:\/\/guest:\*\*\*@rabbit:5672\/ and ws:\/\/feed\/x\?token=redacted&room=1$/);
  assert.match(sink.lines[1]!, /ERROR \[amqp\] login refused: Handshake terminated: amqp:\/\/bob:\*\*\*@h refused/);
});

test('levels filter: below the configured level nothing is written', () => {
  const sink = memory();
  configureLogging({ sink, level: 'warn', env: {} });
  const log = getLogger('kafka');
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
  assert.deepEqual(sink.lines.map((l) => l.split(' ').at(-1)), ['w', 'e']);
});

test('FLOWSCOPE_LOG_LEVEL wins over the default level', () => {
  const sink = memory();
  configureLogging({ sink, level: 'warn', env: { FLOWSCOPE_LOG_LEVEL: 'DEBUG' } });
  getLogger('x').debug('shown');
  assert.equal(sink.lines.length, 1);
  configureLogging({ sink, level: 'info', env: { FLOWSCOPE_LOG_LEVEL: 'error' } });
  getLogger('x').warn('hidden');
  assert.equal(sink.lines.length, 1);
  assert.equal(parseLogLevel('verbose'), undefined);
});

test('the file sink appends, and rotates past its size limit', () => {
  const file = path.join(tmpDir('flowscope-log-'), 'logs', 'engine.log');
  configureLogging({ sink: fileSink(file, 200), level: 'info', env: {} });
  const log = getLogger('engine');
  for (let i = 0; i < 5; i++) log.info(`line ${i} ${'x'.repeat(40)}`);
  // Each line is 88 bytes: two fit in 200, the third begins a new file.
  const lines = (f: string): string[] => fs.readFileSync(f, 'utf8').match(/line \d/g) ?? [];
  assert.deepEqual(lines(file), ['line 4']);
  assert.deepEqual(lines(`${file}.1`), ['line 2', 'line 3']);
});
