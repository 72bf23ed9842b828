import type { JsonValue } from '../../../shared/model.ts';

/**
 * A JSON Schema (draft-07, AsyncAPI's default schema format) inferred from the JSON values a
 * channel carried: the types seen at each place, `required` for the fields present in every
 * object seen there, and `enum` only for strings with few distinct values seen repeatedly
 * (a status, a method), never for ids. Bounded: past the depth or width limits a place
 * accepts anything, so a hostile payload cannot make the document huge.
 */

const MAX_DEPTH = 12;
const MAX_PROPERTIES = 100;
/** At most this many distinct strings make an enum… */
const ENUM_MAX = 5;
/** …and only when each was seen this many times on average (so ids never become one). */
const ENUM_MIN_REPEAT = 2;

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

/** What was seen at one place of the payloads. */
export class Shape {
  private count = 0;
  private readonly types = new Set<JsonType>();
  private objects = 0;
  private props: Map<string, Shape> | null = null;
  private wide = false;
  private items: Shape | null = null;
  private strings = 0;
  private distinct: Set<string> | null = new Set();

  constructor(private readonly depth = 0) {}

  add(v: JsonValue): void {
    this.count += 1;
    if (this.depth >= MAX_DEPTH) return;
    if (v === null) this.types.add('null');
    else if (typeof v === 'boolean') this.types.add('boolean');
    else if (typeof v === 'number') this.types.add(Number.isInteger(v) ? 'integer' : 'number');
    else if (typeof v === 'string') {
      this.types.add('string');
      this.strings += 1;
      if (this.distinct) {
        this.distinct.add(v.length > 64 ? `${v.slice(0, 64)}…` : v);
        if (this.distinct.size > ENUM_MAX) this.distinct = null;
      }
    } else if (Array.isArray(v)) {
      this.types.add('array');
      this.items ??= new Shape(this.depth + 1);
      for (const x of v) this.items.add(x);
    } else {
      this.types.add('object');
      this.objects += 1;
      this.props ??= new Map();
      for (const [k, x] of Object.entries(v)) {
        let p = this.props.get(k);
        if (!p) {
          if (this.props.size >= MAX_PROPERTIES) {
            this.wide = true;
            continue;
          }
          p = new Shape(this.depth + 1);
          this.props.set(k, p);
        }
        p.add(x);
      }
    }
  }

  /** The schema of everything added. */
  schema(): Record<string, JsonValue> {
    if (this.types.size === 0) return {};
    const types = [...this.types];
    // An integer place that also held fractions is a number place.
    const named = types.includes('number') ? types.filter((t) => t !== 'integer') : types;
    const out: Record<string, JsonValue> = { type: named.length === 1 ? named[0]! : named.sort() };
    if (this.props) {
      const properties: Record<string, JsonValue> = {};
      const required: string[] = [];
      for (const [k, p] of this.props) {
        Object.defineProperty(properties, k, { value: p.schema(), enumerable: true, writable: true, configurable: true });
        if (p.count === this.objects) required.push(k);
      }
      out.properties = properties;
      if (required.length) out.required = required;
      if (this.wide) out.additionalProperties = true;
    }
    if (this.items) out.items = this.items.schema();
    const values = this.distinct ? [...this.distinct] : null;
    if (values && values.length > 0 && named.length === 1 && !values.some((s) => s.endsWith('…')) && this.strings >= values.length * ENUM_MIN_REPEAT) {
      out.enum = values.sort();
    }
    return out;
  }
}
