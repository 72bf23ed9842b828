import assert from 'node:assert/strict';

/**
 * Headers named like Object.prototype's members (`__proto__`, `toString`, `constructor`)
 * must be stored exactly like any other name. `json` is the expected headers as JSON text:
 * JSON.parse makes `__proto__` an own key, where an object literal would set the prototype.
 */
export function assertExact(headers: Record<string, unknown> | null | undefined, json: string, what: string): void {
  const expected = JSON.parse(json) as Record<string, unknown>;
  assert.ok(headers, `${what}: headers stored`);
  assert.deepEqual(Object.keys(headers), Object.keys(expected), `${what}: every name, in order`);
  assert.deepEqual(headers, expected, `${what}: names and values exact`);
  assert.equal(Object.getPrototypeOf(headers), Object.prototype, `${what}: no name changed the object's prototype`);
}
