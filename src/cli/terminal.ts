import { revealInvisible, splitInvisible } from '../shared/invisible.ts';

/**
 * Text printed to a terminal. Names, keys and status texts come from the wire: a bidi
 * override would reorder the line, and an escape sequence (`\x1b[2J`) would act on the
 * terminal. Each such character is printed as its marker `⟨U+202E⟩` instead.
 */
export function forTerminal(text: string): string {
  return text
    .split('\n')
    .map((line) => revealInvisible(line))
    .join('\n');
}

/**
 * JSON for a terminal or a pipe: the same characters written as `\u` escapes, so the JSON
 * means exactly what it did and a program reading it gets the exact strings.
 */
export function jsonForTerminal(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  return splitInvisible(text, { multiline: true })
    .map((p) => (p.codePoint === undefined ? p.text : escapeUnits(p.codePoint)))
    .join('');
}

function escapeUnits(codePoint: number): string {
  // A lone surrogate is one unit; String.fromCodePoint would accept it as is.
  const units = codePoint > 0xffff ? String.fromCodePoint(codePoint) : String.fromCharCode(codePoint);
  let out = '';
  for (let i = 0; i < units.length; i++) out += `\\u${units.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}
