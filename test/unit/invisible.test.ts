import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeInvisible, hasInvisible, revealInvisible, splitInvisible } from '../../src/shared/invisible.ts';
import { forTerminal, jsonForTerminal } from '../../src/cli/terminal.ts';

test('bidi overrides, isolates and zero-width characters are shown as markers, never applied', () => {
  assert.equal(revealInvisible('invoice_\u202Egnp.exe'), 'invoice_⟨U+202E⟩gnp.exe');
  assert.equal(revealInvisible('a\u2066b\u2069c\u200Fd'), 'a⟨U+2066⟩b⟨U+2069⟩c⟨U+200F⟩d');
  assert.equal(revealInvisible('pay\u200Bpal'), 'pay⟨U+200B⟩pal', 'a zero-width space cannot make two names look alike');
  assert.equal(revealInvisible('pay\u200Dpal'), 'pay⟨U+200D⟩pal', 'a joiner between ASCII letters is shown');
  assert.equal(revealInvisible('\uFEFFid'), '⟨U+FEFF⟩id');
  assert.equal(revealInvisible('x\u00ADy\u2028z'), 'x⟨U+00AD⟩y⟨U+2028⟩z');
  assert.equal(revealInvisible('hi\u{E0041}\u{E0042}'), 'hi⟨U+E0041⟩⟨U+E0042⟩', 'tag characters (hidden text) are shown one by one');
  assert.equal(revealInvisible('lone\uD800!'), 'lone⟨U+D800⟩!');
  assert.deepEqual(splitInvisible('invoice_\u202Egnp.exe'), [{ text: 'invoice_' }, { text: '⟨U+202E⟩', codePoint: 0x202e }, { text: 'gnp.exe' }]);
  assert.match(describeInvisible(0x202e), /^U\+202E right-to-left override: shown here instead of applied$/);
});

test('control characters are marked on one line, and line breaks and tabs kept in multi-line text', () => {
  assert.equal(revealInvisible('term\x1b[2Jclear'), 'term⟨U+001B⟩[2Jclear', 'an escape sequence cannot act on a terminal');
  assert.equal(revealInvisible('a\nb\tc\x7f\x85'), 'a⟨U+000A⟩b⟨U+0009⟩c⟨U+007F⟩⟨U+0085⟩');
  assert.equal(revealInvisible('a\nb\tc\r\n\x00', { multiline: true }), 'a\nb\tc\r\n⟨U+0000⟩');
});

test('ordinary text, emoji sequences, flags and right-to-left scripts are left as they are', () => {
  for (const s of ['plain ascii', 'ünïcödé', 'שלום עולם', 'مرحبا', '👨\u200D👩\u200D👧', 'نیم\u200Cفاصله', '🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}', '❤️', '']) {
    assert.equal(hasInvisible(s), false, JSON.stringify(s));
    assert.equal(revealInvisible(s), s);
  }
});

test('terminal output shows markers; JSON output escapes them and still parses to the exact strings', () => {
  assert.equal(forTerminal('  1  kafka/topic  invoice_\u202Egnp.exe\n  2  x\x1b[31m'), '  1  kafka/topic  invoice_⟨U+202E⟩gnp.exe\n  2  x⟨U+001B⟩[31m');
  const value = { destination: 'invoice_\u202Egnp.exe', tags: 'a\u{E0041}', sep: 'x\u2028y', lone: 'z\uDC00' };
  const json = jsonForTerminal(value);
  assert.ok(!hasInvisible(json, { multiline: true }), json);
  assert.match(json, /"destination": "invoice_\\u202egnp\.exe"/);
  assert.deepEqual(JSON.parse(json), value);
});
