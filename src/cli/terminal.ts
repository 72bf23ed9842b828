import { escapeInvisibleInJson, revealInvisible } from '../shared/invisible.ts';

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
  return escapeInvisibleInJson(JSON.stringify(value, null, 2));
}
