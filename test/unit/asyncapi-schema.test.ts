import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Shape } from '../../src/core/io/asyncapi/schema-infer.ts';
import type { JsonValue } from '../../src/shared/model.ts';

// The payload schema an AsyncAPI export infers (issue 15): what a reader of the document
// would conclude from the messages seen, and no more.

const infer = (values: JsonValue[]) => {
  const s = new Shape();
  for (const v of values) s.add(v);
  return s.schema();
};

test('types per field, required only for the fields every message had, integers apart from fractions', () => {
  const schema = infer([
    { id: 1, status: 'paid', total: 10, tags: ['a'], note: null },
    { id: 2, status: 'paid', total: 12.5, tags: [] },
    { id: 3, status: 'open', total: 7, tags: ['b', 'c'], note: 'late' },
    { id: 4, status: 'open', total: 3 },
  ]);
  assert.deepEqual(schema, {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      status: { type: 'string', enum: ['open', 'paid'] },
      total: { type: 'number' },
      tags: { type: 'array', items: { type: 'string' } },
      note: { type: ['null', 'string'] },
    },
    required: ['id', 'status', 'total'],
  });
});

test('an enum only for few strings seen repeatedly: ids and one-off texts stay plain strings', () => {
  assert.deepEqual(infer([{ id: 'a1' }, { id: 'b2' }, { id: 'c3' }]), { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] });
  const many = Array.from({ length: 60 }, (_, i) => ({ state: `s${i % 6}` }));
  assert.deepEqual(infer(many), { type: 'object', properties: { state: { type: 'string' } }, required: ['state'] }, 'six values are too many for an enum');
});

test('deep and wide payloads stay bounded', () => {
  let deep: JsonValue = 1;
  for (let i = 0; i < 10_000; i++) deep = { a: deep };
  let depth = 0;
  for (let s = infer([deep]) as Record<string, JsonValue>; s.properties; s = (s.properties as Record<string, Record<string, JsonValue>>).a!) depth += 1;
  assert.ok(depth <= 12, `nesting cut at 12 levels (${depth})`);
  const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
  const schema = infer([wide]);
  assert.equal(Object.keys(schema.properties as object).length, 100);
  assert.equal(schema.additionalProperties, true);
  // A field named __proto__ is a field like any other.
  assert.deepEqual(Object.keys(infer([JSON.parse('{"__proto__": 1}') as JsonValue]).properties as object), ['__proto__']);
});
