import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decoderSettingsSchema, splitRegistryUrl } from '../../src/shared/decoders.ts';

/** Issue 15: what a session keeps of a Schema Registry URL the user typed. */

test('user info typed in a registry URL becomes a basic-auth header and leaves the URL a session keeps', () => {
  const r = splitRegistryUrl(' https://alice:p%40ss@registry.example:8081/apis/ccompat/v7/ ');
  assert.equal(r.url, 'https://registry.example:8081/apis/ccompat/v7');
  assert.equal(r.authorization, `Basic ${Buffer.from('alice:p@ss').toString('base64')}`);
  assert.deepEqual(splitRegistryUrl('http://127.0.0.1:8081'), { url: 'http://127.0.0.1:8081', authorization: null });
});

test('a registry URL that is not http or https, or not a URL, is refused with the reason', () => {
  assert.throws(() => splitRegistryUrl('ftp://registry:21'), /must be http or https, not ftp/);
  assert.throws(() => splitRegistryUrl('registry:8081'), /must be http or https|is not a URL/);
  assert.throws(() => splitRegistryUrl('not a url'), /is not a URL/);
});

test('saved settings refuse a registry URL that carries credentials', () => {
  assert.ok(decoderSettingsSchema.safeParse({ rules: [], schemas: [], registryUrl: 'http://registry:8081' }).success);
  const bad = decoderSettingsSchema.safeParse({ rules: [], schemas: [], registryUrl: 'http://u:pw@registry:8081' });
  assert.ok(!bad.success);
  assert.match(bad.error.issues[0]!.message, /carries credentials/);
});
