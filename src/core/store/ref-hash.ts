/**
 * The 32-bit FNV-1a hash of a key's or correlation id's bytes, as a signed integer: what
 * schema 3 indexes instead of the value itself (issue 12). An index of small integers costs
 * about half the insert time of one of 36-byte ids or arbitrary keys; lookups match the hash
 * through the index and then the exact value, so a collision never returns a wrong row.
 */
export function refHash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** refHash of a text's UTF-8 bytes (correlation ids are stored as text). */
export function textHash(text: string): number {
  return refHash(Buffer.from(text, 'utf8'));
}
