import type { ReactNode } from 'react';
import { describeInvisible, hasInvisible, revealInvisible, splitInvisible } from '../../../shared/invisible.ts';

/**
 * Text from the wire, with invisible and bidi control characters shown as marked
 * `⟨U+202E⟩` chips instead of applied (see shared/invisible.ts). Text without any is
 * returned as it is, so the common case costs one regex test.
 */
export function Visible({ text, multiline = false }: { text: string; multiline?: boolean }): ReactNode {
  return visible(text, multiline);
}

/** The same as `<Visible>`, for places that build node lists themselves. */
export function visible(text: string, multiline = false): ReactNode {
  if (!hasInvisible(text, { multiline })) return text;
  return splitInvisible(text, { multiline }).map((p, i) =>
    p.codePoint === undefined ? (
      p.text
    ) : (
      <span key={i} className="invisible-char" data-testid="invisible-char" title={describeInvisible(p.codePoint)}>
        {p.text}
      </span>
    ),
  );
}

/** A tooltip (title attribute) with the same markers: tooltips apply bidi controls too. */
export function visibleTitle(text: string | undefined): string | undefined {
  return text === undefined ? undefined : revealInvisible(text);
}
