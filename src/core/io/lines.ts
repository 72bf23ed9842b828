import fs from 'node:fs';

/** A line of an imported file: its 1-based number and its exact bytes (no `\n`, no trailing `\r`). */
export interface Line {
  line: number;
  bytes: Buffer;
}

/** An import refused because of one line of its input. The message names the line. */
export class ImportLineError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'ImportLineError';
  }
}

/**
 * Streams a file line by line as bytes. Bytes, not strings, because kcat writes payloads
 * that are not UTF-8 straight into its JSON (see kcat.ts): decoding happens per format.
 */
export async function* readLines(file: string): AsyncGenerator<Line> {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  let carry: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (start < chunk.length) carry.push(chunk.subarray(start));
        break;
      }
      const part = chunk.subarray(start, nl);
      const bytes = carry.length ? Buffer.concat([...carry, part]) : part;
      carry = [];
      n += 1;
      yield { line: n, bytes: stripCr(bytes) };
      start = nl + 1;
    }
  }
  if (carry.length) yield { line: n + 1, bytes: stripCr(Buffer.concat(carry)) };
}

function stripCr(b: Buffer): Buffer {
  return b.length && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

/** True for a line with nothing but spaces or tabs (skipped by both importers). */
export function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 32 && c !== 9) return false;
  return true;
}

/** Parses JSON and requires an object; problems are reported against the line. */
export function parseObject(text: string, line: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ImportLineError(line, `invalid JSON (${(err as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ImportLineError(line, `expected a JSON object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
  }
  return v as Record<string, unknown>;
}

/**
 * True for strict, padded base64 (what Chrome, mitmproxy and Flowscope write). A loop, not a
 * regular expression: a repeated group over a payload of a few MB overflows the regex stack.
 */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  for (let i = 0; i < s.length - pad; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok) return false;
  }
  return true;
}

/** Strict base64 (Buffer.from would silently skip bad characters and lose bytes). */
export function decodeBase64(s: string, field: string, line: number): Buffer {
  if (!isBase64(s)) throw new ImportLineError(line, `"${field}" is not valid base64`);
  return Buffer.from(s, 'base64');
}
