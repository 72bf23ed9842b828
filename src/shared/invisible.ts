/**
 * Invisible and bidirectional control characters, shown instead of applied, as code editors
 * do. A key `invoice_\u202Egnp.exe` would otherwise render as `invoice_exe.png`, and a
 * zero-width space makes two different names look the same. The list, the detail pane, the
 * flow graph and the CLI's terminal output all show such a character as a marker
 * `⟨U+202E⟩`; the data itself is never changed.
 */

/** A run of text, or one character to show as a marker (`codePoint` set, `text` is its marker). */
export interface TextPiece {
  text: string;
  codePoint?: number;
}

export interface RevealOptions {
  /** Keep tab, line feed and carriage return as they are (multi-line payload text). */
  multiline?: boolean;
}

// Formatting and control characters that draw nothing or reorder what follows: C0/DEL/C1
// controls, soft hyphen, combining grapheme joiner, Arabic letter mark, Hangul and Khmer
// fillers, Mongolian selectors, zero-width and directional marks, line/paragraph separators,
// embeddings and overrides, word joiner and invisible operators, isolates, deprecated
// format characters, BOM, interlinear annotation, shorthand and musical format controls,
// tags, supplementary variation selectors (used to smuggle text), and lone surrogates.
const SET =
  '\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u2028-\\u202E' +
  '\\u2060-\\u206F\\u3164\\uFEFF\\uFFA0\\uFFF9-\\uFFFB\\u{1BCA0}-\\u{1BCA3}\\u{1D173}-\\u{1D17A}' +
  '\\u{E0100}-\\u{E01EF}\\uD800-\\uDFFF';
const TAGS = '[\\u{E0000}-\\u{E007F}]+';
// The classes list joiners and combining marks on purpose: each is matched alone, to be shown.
// eslint-disable-next-line no-misleading-character-class
const SINGLE_LINE = new RegExp(`[\\u0000-\\u001F${SET}]|${TAGS}`, 'gu');
// eslint-disable-next-line no-misleading-character-class
const MULTI_LINE = new RegExp(`[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F${SET}]|${TAGS}`, 'gu');

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;

/** The marker shown for a code point: `⟨U+202E⟩`. */
export function markerFor(codePoint: number): string {
  return `⟨U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** True when the text holds anything `splitInvisible` would mark (cheap: one regex test). */
export function hasInvisible(text: string, opts: RevealOptions = {}): boolean {
  const re = opts.multiline ? MULTI_LINE : SINGLE_LINE;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (!legitimate(text, m.index, m[0])) return true;
  }
  return false;
}

/** Splits text into plain runs and markers, in order; joining the pieces' `text` gives `revealInvisible`. */
export function splitInvisible(text: string, opts: RevealOptions = {}): TextPiece[] {
  const re = opts.multiline ? MULTI_LINE : SINGLE_LINE;
  re.lastIndex = 0;
  const out: TextPiece[] = [];
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (legitimate(text, m.index, m[0])) continue;
    if (m.index > last) out.push({ text: text.slice(last, m.index) });
    for (const ch of m[0]) {
      const codePoint = ch.codePointAt(0)!;
      out.push({ text: markerFor(codePoint), codePoint });
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The text with every invisible or bidi control character replaced by its marker. */
export function revealInvisible(text: string, opts: RevealOptions = {}): string {
  if (!hasInvisible(text, opts)) return text;
  return splitInvisible(text, opts)
    .map((p) => p.text)
    .join('');
}

/**
 * Uses of these characters that are part of ordinary writing and are left alone: a
 * zero-width (non-)joiner between two non-ASCII characters (emoji sequences, Persian and
 * Indic scripts), and the tag run of a subdivision flag (🏴 + tags + cancel tag).
 */
function legitimate(text: string, at: number, match: string): boolean {
  const first = match.codePointAt(0)!;
  if (first === ZWJ || first === ZWNJ) {
    const before = at > 0 ? text.codePointAt(at - 1 - (isLowSurrogate(text.charCodeAt(at - 1)) ? 1 : 0)) : undefined;
    const after = text.codePointAt(at + 1);
    return before !== undefined && after !== undefined && before > 0x7f && after > 0x7f && !isFormat(before) && !isFormat(after);
  }
  if (first >= 0xe0000 && first <= 0xe007f) {
    const before = at >= 2 ? text.codePointAt(at - 2) : undefined;
    return before === BLACK_FLAG && match.codePointAt(match.length - 2) === CANCEL_TAG;
  }
  return false;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Directional and zero-width characters, which never make a joiner beside them legitimate. */
function isFormat(cp: number): boolean {
  return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff;
}

/**
 * JSON text with every such character written as a `\u` escape: the same JSON value, safe
 * to print. Only valid on JSON text (the characters can appear only inside its strings).
 */
export function escapeInvisibleInJson(json: string): string {
  if (!hasInvisible(json, { multiline: true })) return json;
  return splitInvisible(json, { multiline: true })
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

const NAMES: Record<number, string> = {
  0x00ad: 'soft hyphen',
  0x061c: 'arabic letter mark',
  0x200b: 'zero width space',
  0x200c: 'zero width non-joiner',
  0x200d: 'zero width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero width no-break space (byte order mark)',
};

/** A tooltip for a marker: what the character is and that it was shown, not applied. */
export function describeInvisible(codePoint: number): string {
  const name =
    NAMES[codePoint] ??
    (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)
      ? 'control character'
      : codePoint >= 0xd800 && codePoint <= 0xdfff
        ? 'lone surrogate (not valid Unicode text)'
        : codePoint >= 0xe0000 && codePoint <= 0xe007f
          ? 'tag character'
          : 'invisible formatting character');
  return `${markerFor(codePoint).slice(1, -1)} ${name}: shown here instead of applied`;
}
