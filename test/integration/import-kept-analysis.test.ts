import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Engine } from '../../src/core/engine/engine.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { writeRpcSession } from '../helpers/rpc-session.ts';

const BIN = path.resolve('bin/flowscope.mjs');

function flowscope(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

test('a session made by `flowscope import` opens with its analysis ready, and the right pairs', async () => {
  const dir = tmpDir();
  const original = path.join(dir, 'rpc.flowscope');
  const truth = writeRpcSession(original, { requests: 3000, skipEvery: 40 });
  const jsonl = path.join(dir, 'rpc.jsonl');
  assert.equal(flowscope(['export', original, '--out', jsonl]).status, 0);
  const imported = path.join(dir, 'imported.flowscope');
  const imp = flowscope(['import', jsonl, '--out', imported]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stderr, new RegExp(`imported ${truth.messages} messages`));

  const engine = new Engine({ dataDir: path.join(dir, 'data'), version: 'test', transport: 'bridge' });
  try {
    const session = engine.openSession(imported);
    assert.deepEqual(session.info().analysis, { state: 'ready' }, 'nothing is read again at open: the import kept the analysis');
    const summary = await engine.call('renderer:analysis:summary', { sessionId: session.id });
    assert.deepEqual(summary.analysis, { state: 'ready' });
    assert.equal(summary.messages, truth.messages);
    assert.equal(summary.pairs.matched, truth.matched);
    assert.equal(summary.pairs.unanswered, truth.unanswered);
  } finally {
    await engine.shutdown();
  }
});
