import type { ReactNode } from 'react';
import { visible } from '../components/Visible.tsx';

/** Past this size the payload is shown plain: highlighting megabytes would stall the page. */
const HIGHLIGHT_LIMIT = 200_000;
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** Light syntax colouring of pretty-printed JSON: keys, strings, numbers, literals; invisible characters marked. */
export function JsonHighlight({ text }: { text: string }): ReactNode {
  if (text.length > HIGHLIGHT_LIMIT) return visible(text, true);
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index;
    if (at > last) out.push(visible(text.slice(last, at), true));
    if (m[1] !== undefined) {
      out.push(
        <span key={i++} className={m[2] ? 'j-key' : 'j-str'}>
          {visible(m[1], true)}
        </span>,
      );
      if (m[2]) out.push(m[2]);
    } else if (m[3] !== undefined) {
      out.push(
        <span key={i++} className="j-num">
          {m[3]}
        </span>,
      );
    } else {
      out.push(
        <span key={i++} className="j-lit">
          {m[4]}
        </span>,
      );
    }
    last = at + m[0].length;
  }
  if (last < text.length) out.push(visible(text.slice(last), true));
  return out;
}
