import type { JsonValue } from '../../../shared/model.ts';
import { visible } from '../components/Visible.tsx';

function show(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v) && typeof v.$base64 === 'string') return `base64:${v.$base64}`;
  return JSON.stringify(v);
}

/** Headers, properties or meta as a two-column table. */
export function KeyValueTable({ title, data }: { title: string; data: Record<string, JsonValue | undefined> | null }) {
  const entries = data ? Object.entries(data).filter(([, v]) => v !== undefined) : [];
  if (entries.length === 0) return null;
  return (
    <section className="kv-section">
      <h3>{title}</h3>
      <table className="kv" aria-label={title}>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{visible(k)}</th>
              <td>{visible(show(v))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
