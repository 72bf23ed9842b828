import type { SchemaFile } from '../../shared/decoders.ts';
import { compileAvro } from './avro.ts';
import { compileProto } from './protobuf.ts';
import type { CompiledSchema, SchemaLookup, SchemaSource } from './schema-source.ts';

/**
 * Schemas by Confluent id from a Confluent-compatible Schema Registry (Confluent's own,
 * Apicurio's /apis/ccompat/v7, Redpanda, Karapace), through its REST API:
 *   GET /schemas/ids/{id}                     {schema, schemaType?, references?}
 *   GET /subjects/{subject}/versions/{v}      a Protobuf import, by the reference's subject/version
 *   GET /subjects                             the subjects, for the connect dialog
 *
 * The decoder is synchronous and runs while messages are recorded, so byId never waits: an
 * id seen for the first time starts a fetch in the background and answers `pending`; once
 * the schema is in the cache the next decode of that message finds it, and `onSchema`
 * listeners are told the id arrived (a detail pane showing it decodes it again). An id the
 * registry does not have is remembered as missing; a registry that could not be reached is
 * asked again after `retryMs`.
 */
export interface RegistrySourceOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8081 or http://host:8080/apis/ccompat/v7. */
  url: string;
  /** Per-request time limit (default 10 s). */
  timeoutMs?: number;
  /** How long an unreachable registry's answer stands before an id is asked for again (default 30 s). */
  retryMs?: number;
  /** Extra request headers, e.g. Authorization. */
  headers?: Record<string, string>;
}

type Entry =
  | { state: 'loading'; done: Promise<void> }
  | { state: 'ready'; schema: CompiledSchema }
  | { state: 'missing'; reason: string }
  | { state: 'unreachable'; reason: string; at: number };

interface SchemaResponse {
  schema: string;
  schemaType?: string;
  references?: { name: string; subject: string; version: number }[];
}

/** Protobuf imports deeper than this are refused: a reference cycle must not loop forever. */
const MAX_REFERENCE_DEPTH = 16;
/** Bounds the cache: a topic of random bytes starting with 0x00 claims a new "id" per record. */
const MAX_ENTRIES = 10_000;

export class RegistrySchemas implements SchemaSource {
  private readonly base: string;
  private readonly entries = new Map<number, Entry>();
  private readonly listeners = new Set<(id: number) => void>();
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private lastUnreachable: string | null = null;

  constructor(private readonly opts: RegistrySourceOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retryMs = opts.retryMs ?? 30_000;
  }

  byId(id: number): SchemaLookup {
    const e = this.entries.get(id);
    if (e?.state === 'ready') return { schema: e.schema };
    if (e?.state === 'missing') return { missing: e.reason };
    if (e?.state === 'unreachable' && Date.now() - e.at < this.retryMs) return { missing: e.reason };
    if (e?.state !== 'loading') this.load(id);
    return { pending: `Confluent schema id ${id} is being fetched from the Schema Registry at ${this.base}` };
  }

  /** Resolves once the id's fetch (started if need be) has settled, with what byId then answers. */
  async settled(id: number): Promise<SchemaLookup> {
    this.byId(id);
    const e = this.entries.get(id);
    if (e?.state === 'loading') await e.done;
    return this.byId(id);
  }

  /** Whether a fetch is under way. */
  busy(): boolean {
    for (const e of this.entries.values()) if (e.state === 'loading') return true;
    return false;
  }

  /** Resolves once every fetch under way (and any it led to) has settled. */
  async idle(): Promise<void> {
    for (;;) {
      const loading = [...this.entries.values()].flatMap((e) => (e.state === 'loading' ? [e.done] : []));
      if (loading.length === 0) return;
      await Promise.all(loading);
    }
  }

  /** Why the registry could not be reached the last time it was asked, or null when it answered. */
  unreachable(): string | null {
    return this.lastUnreachable;
  }

  /** Calls `listener(id)` each time a schema arrives or is found missing; returns the unsubscribe. */
  onSchema(listener: (id: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The registry's subjects, sorted (GET /subjects). */
  async subjects(): Promise<string[]> {
    const list = await this.get<unknown>('/subjects');
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw new Error(`${this.base}/subjects did not answer a list of subject names`);
    return [...list].sort();
  }

  private load(id: number): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const done = this.fetchSchema(id).then(
      (schema) => this.settle(id, { state: 'ready', schema }),
      (err: Error) => this.settle(id, err instanceof Unreachable ? { state: 'unreachable', reason: err.message, at: Date.now() } : { state: 'missing', reason: err.message }),
    );
    this.entries.set(id, { state: 'loading', done });
  }

  private settle(id: number, e: Entry): void {
    this.entries.set(id, e);
    this.lastUnreachable = e.state === 'unreachable' ? e.reason : e.state === 'ready' || e.state === 'missing' ? null : this.lastUnreachable;
    for (const l of this.listeners) {
      try {
        l(id);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  private async fetchSchema(id: number): Promise<CompiledSchema> {
    const res = await this.get<SchemaResponse>(`/schemas/ids/${id}`, `Confluent schema id ${id}`);
    const type = (res.schemaType ?? 'AVRO').toUpperCase();
    const name = `registry schema ${id}`;
    if (type === 'AVRO') return compileAvro({ name, kind: 'avsc', text: res.schema });
    if (type === 'PROTOBUF') {
      const file: SchemaFile = { name, kind: 'proto', text: res.schema, ids: [id] };
      const imports = await this.references(res.references ?? [], 0, new Map());
      return compileProto(file, [file, ...imports.values()]);
    }
    throw new Error(`Confluent schema id ${id} is a ${type} schema, which Flowscope does not decode`);
  }

  /** The texts of a Protobuf schema's imports, by import name, fetched depth first. */
  private async references(refs: NonNullable<SchemaResponse['references']>, depth: number, into: Map<string, SchemaFile>): Promise<Map<string, SchemaFile>> {
    if (depth > MAX_REFERENCE_DEPTH) throw new Error(`Protobuf imports nest deeper than ${MAX_REFERENCE_DEPTH} levels`);
    for (const ref of refs) {
      if (into.has(ref.name)) continue;
      const path = `/subjects/${encodeURIComponent(ref.subject)}/versions/${encodeURIComponent(String(ref.version))}`;
      const res = await this.get<SchemaResponse>(path, `import ${ref.name} (subject ${ref.subject} version ${ref.version})`);
      into.set(ref.name, { name: ref.name, kind: 'proto', text: res.schema });
      await this.references(res.references ?? [], depth + 1, into);
    }
    return into;
  }

  private async get<T>(path: string, what = path): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.opts.headers },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new Unreachable(`the Schema Registry at ${this.base} could not be reached (${cause})`);
    }
    const text = await res.text();
    if (!res.ok) {
      // The Confluent API's errors are {error_code, message}: 40403 is "schema not found".
      let message = text.slice(0, 300);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        /* not JSON: the text as it came */
      }
      const err = `the Schema Registry answered ${res.status} for ${what}: ${message}`;
      throw res.status >= 500 ? new Unreachable(err) : new Error(err);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`the Schema Registry's answer for ${what} is not JSON`);
    }
  }
}

/** A failure worth asking again about later: no answer, or a server error. */
class Unreachable extends Error {}
