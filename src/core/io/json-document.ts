import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';

/**
 * An import refused because of one place in a whole-document input (HAR): `where` is that
 * place, a JSON path such as `log.entries[3]._webSocketMessages[17].opcode`, or a line and
 * column for a syntax error. The message names it.
 */
export class ImportDocumentError extends Error {
  constructor(
    readonly where: string,
    problem: string,
  ) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'ImportDocumentError';
  }
}

/**
 * Reads a JSON document that must be parsed whole. Bigger than `maxBytes` is refused before
 * anything is read (JSON.parse needs the text as one string, and several times its size in
 * memory); text that is not UTF-8 or not JSON is refused with the line and column where it
 * goes wrong. Nesting depth is no danger here: V8's JSON.parse is iterative, and callers
 * read only the fields they know, never serialise what they did not check.
 */
export function readJsonDocument(file: string, maxBytes: number, what: string): unknown {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new Error(`${file} does not exist.`);
  }
  if (!st.isFile()) throw new Error(`${file} is not a file.`);
  if (st.size > maxBytes) {
    throw new ImportDocumentError('', `${file} is ${mib(st.size)}; ${what} files are read whole, up to ${mib(maxBytes)}`);
  }
  let bytes = fs.readFileSync(file);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at).toString('utf8');
    throw new ImportDocumentError(lineColumn(before, before.length), `not valid UTF-8 (byte ${at} of the file); ${what} files are UTF-8 JSON`);
  }
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const err = firstSyntaxError(text);
    throw new ImportDocumentError(lineColumn(text, err.at), `invalid JSON: ${err.problem}`);
  }
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** `line L, column C` (both 1-based) of the character at `offset`. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return `line ${line}, column ${offset - start + 1}`;
}

/** Offset of the first byte that does not begin or continue a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    // Overlong forms, surrogates and code points past U+10FFFF show in the second byte.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

/**
 * Where JSON text first goes wrong, and how: V8's messages name no position. Iterative (a
 * stack of open containers), so any nesting is safe. Runs only after JSON.parse failed.
 */
export function firstSyntaxError(s: string): { at: number; problem: string } {
  const stack: string[] = [];
  let i = 0;
  let state: 'value' | 'first-value' | 'key' | 'first-key' | 'after' = 'value';
  const stringAt = (): string | null => {
    i += 1;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) return 'a string is not closed';
      if (c === 0x22) {
        i += 1;
        return null;
      }
      if (c < 0x20) return 'a control character inside a string (write it as a \\u escape)';
      if (c === 0x5c) {
        const e = s[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) return 'a \\u escape needs four hex digits';
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) return 'an invalid escape in a string';
        i += 2;
        continue;
      }
      i += 1;
    }
  };
  for (;;) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i += 1;
    if (i >= s.length) {
      if (stack.length === 0 && state === 'after') return { at: i, problem: 'the document is valid' };
      return { at: i, problem: stack.length ? `the document ends with ${stack.length} array(s) or object(s) still open` : 'the document is empty' };
    }
    const c = s[i]!;
    if (state === 'value' || state === 'first-value') {
      if (state === 'first-value' && c === ']') {
        stack.pop();
        i += 1;
        state = 'after';
      } else if (c === '{' || c === '[') {
        stack.push(c);
        i += 1;
        state = c === '{' ? 'first-key' : 'first-value';
      } else if (c === '"') {
        const bad = stringAt();
        if (bad) return { at: i, problem: bad };
        state = 'after';
      } else {
        const re = /[-\d]/.test(c) ? NUMBER : LITERAL;
        re.lastIndex = i;
        if (!re.test(s)) return { at: i, problem: `unexpected ${describe(c)} where a value should be` };
        i = re.lastIndex;
        state = 'after';
      }
    } else if (state === 'key' || state === 'first-key') {
      if (state === 'first-key' && c === '}') {
        stack.pop();
        i += 1;
        state = 'after';
        continue;
      }
      if (c !== '"') return { at: i, problem: `expected a property name in double quotes, found ${describe(c)}` };
      const bad = stringAt();
      if (bad) return { at: i, problem: bad };
      while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i += 1;
      if (s[i] !== ':') return { at: i, problem: "expected ':' after a property name" };
      i += 1;
      state = 'value';
    } else {
      const top = stack.at(-1);
      if (top === undefined) return { at: i, problem: `unexpected ${describe(c)} after the end of the document` };
      const close = top === '{' ? '}' : ']';
      if (c === ',') {
        i += 1;
        state = top === '{' ? 'key' : 'value';
      } else if (c === close) {
        stack.pop();
        i += 1;
      } else {
        return { at: i, problem: `expected ',' or '${close}', found ${describe(c)}` };
      }
    }
  }
}

function describe(c: string): string {
  const code = c.codePointAt(0)!;
  return code < 0x20 || code > 0x7e ? `character U+${code.toString(16).toUpperCase().padStart(4, '0')}` : `'${c}'`;
}
