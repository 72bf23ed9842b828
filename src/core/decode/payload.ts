import type { PayloadEncoding } from '../../shared/model.ts';
import { MAX_JSON_DEPTH } from '../common/constants.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes as UTF-8, or returns null when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** True when the text looks like printable text rather than control bytes. */
function printable(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  const control = text.match(/[\u0000-\u0008\u000e-\u001f\u007f]/g);
  return !control || control.length <= text.length / 20;
}

export function hexDump(bytes: Uint8Array, limit = 4096): string {
  const lines: string[] = [];
  const n = Math.min(bytes.byteLength, limit);
  for (let off = 0; off < n; off += 16) {
    const chunk = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.byteLength > limit) lines.push(`… ${bytes.byteLength - limit} more bytes`);
  return lines.join('\n');
}

/** A one-line preview for a list cell: text when it is text, else the leading hex bytes. */
export function previewPayload(bytes: Uint8Array, max = 160, more = false): string {
  const head = bytes.subarray(0, max);
  // A preview may cut a multi-byte character: decode leniently for text-looking bytes.
  const strict = decodeUtf8(head);
  const text = strict ?? new TextDecoder('utf-8').decode(head);
  const looksText = strict !== null || (text.match(/\uFFFD/g)?.length ?? 0) <= 1;
  if (looksText && printable(text)) {
    return text.replace(/\s+/g, ' ') + (more || bytes.byteLength > max ? '…' : '');
  }
  return `0x${Array.from(head.subarray(0, 32), (b) => b.toString(16).padStart(2, '0')).join('')}${bytes.byteLength > 32 || more ? '…' : ''}`;
}

export interface DecodedPayload {
  encoding: PayloadEncoding;
  text: string | null;
  json: unknown;
}

/** Classifies a payload as JSON, text or binary, and pretty-prints JSON. */
export function decodePayload(bytes: Uint8Array, prettyLimit = 2_000_000): DecodedPayload {
  const text = decodeUtf8(bytes);
  if (text === null || !printable(text.slice(0, 4096))) return { encoding: 'binary', text: null, json: undefined };
  const trimmed = text.trimStart();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && text.length <= prettyLimit) {
    try {
      const json: unknown = JSON.parse(text);
      return { encoding: 'json', text: reindent(text) ?? text, json };
    } catch {
      // Not JSON after all: show it as text.
    }
  }
  return { encoding: 'text', text, json: undefined };
}

const STRUCTURAL = new Set(['{', '}', '[', ']', ',', ':', '"', ' ', '\n', '\r', '\t']);

/**
 * Pretty-prints JSON text that is known to be valid by re-indenting its tokens rather than
 * re-serialising the parsed value, so what is shown is what was sent: int64 ids such as
 * 12345678901234567890 keep every digit (JSON.parse rounds them), 1.0 stays 1.0, escapes
 * and duplicate keys stay as written. Returns null past MAX_JSON_DEPTH levels: indentation
 * grows with depth, so a 60 KB payload nested 10,000 deep would print as 200 MB of spaces;
 * such JSON is shown as sent.
 */
function reindent(text: string): string | null {
  const out: string[] = [];
  let depth = 0;
  const newline = (): string => `\n${'  '.repeat(depth)}`;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '{' || c === '[') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] === (c === '{' ? '}' : ']')) {
        out.push(c === '{' ? '{}' : '[]');
        i = j + 1;
      } else {
        depth += 1;
        if (depth > MAX_JSON_DEPTH) return null;
        out.push(c, newline());
        i += 1;
      }
    } else if (c === '}' || c === ']') {
      depth -= 1;
      out.push(newline(), c);
      i += 1;
    } else if (c === ',') {
      out.push(',', newline());
      i += 1;
    } else if (c === ':') {
      out.push(': ');
      i += 1;
    } else if (c === ' ' || c === '\n' || c === '\r' || c === '\t') {
      i += 1;
    } else {
      let j = i + 1;
      while (j < text.length && !STRUCTURAL.has(text[j]!)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out.join('');
}
