import type { ReactNode } from 'react';
import type { JsonValue } from '../../../shared/model.ts';
import { setFilter } from '../state/app.ts';
import { visible } from '../components/Visible.tsx';

/** Levels open at first; deeper ones open on a click (a big message stays readable). */
const OPEN_DEPTH = 3;
/** Items listed per object or array; the rest are counted. */
const MAX_ITEMS = 500;

/**
 * A decoded payload as a tree of fields. Each leaf says its path (`data-path`, as the field
 * filter and `--json-path` spell it) and filters the list by its value on a click.
 */
export function DecodedTree({ value }: { value: JsonValue }) {
  return (
    <div className="decoded-tree" data-testid="decoded-tree" role="tree">
      <Node name={null} path="" value={value} depth={0} />
    </div>
  );
}

function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function Node({ name, path, value, depth }: { name: ReactNode; path: string; value: JsonValue; depth: number }): ReactNode {
  if (value !== null && typeof value === 'object') {
    const entries: [string | number, JsonValue][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const summary = Array.isArray(value) ? `[${value.length}]` : `{${entries.length}}`;
    return (
      <details open={depth < OPEN_DEPTH} className="t-node" role="treeitem" data-path={path || '$'}>
        <summary>
          {name !== null && <span className="t-key">{name}</span>} <span className="muted">{summary}</span>
        </summary>
        <div className="t-children" role="group">
          {entries.slice(0, MAX_ITEMS).map(([k, v]) => (
            <Node key={k} name={typeof k === 'number' ? `[${k}]` : visible(k)} path={childPath(path, k)} value={v} depth={depth + 1} />
          ))}
          {entries.length > MAX_ITEMS && <div className="muted">… {entries.length - MAX_ITEMS} more</div>}
        </div>
      </details>
    );
  }
  const text = value === null ? 'null' : typeof value === 'string' ? JSON.stringify(value) : String(value);
  const kind = value === null || typeof value === 'boolean' ? 'j-lit' : typeof value === 'number' ? 'j-num' : 'j-str';
  const filterable = path !== '' && /^[A-Za-z0-9_$\-.[\]]+$/.test(path);
  return (
    <div className="t-leaf" role="treeitem" data-path={path || '$'}>
      {name !== null && <span className="t-key">{name}: </span>}
      {filterable ? (
        <button type="button" className={`link ${kind}`} title={`Show messages whose ${path} is this`} onClick={() => setFilter({ field: { path, value: value === null ? 'null' : String(value) } })} data-testid="decoded-value">
          {visible(text, true)}
        </button>
      ) : (
        <span className={kind} data-testid="decoded-value">
          {visible(text, true)}
        </span>
      )}
    </div>
  );
}
