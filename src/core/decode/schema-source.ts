import type { DecoderSettings, SchemaFile } from '../../shared/decoders.ts';
import { compileAvro, type AvroSchema } from './avro.ts';
import { compileProto, type ProtoSchema } from './protobuf.ts';

export type CompiledSchema = AvroSchema | ProtoSchema;

/**
 * What a lookup by Confluent schema id found. `pending` is for a source that fetches (a
 * Schema Registry client): the decoder is synchronous, so such a source answers from its
 * cache and says the schema is on its way rather than blocking the recording.
 */
export type SchemaLookup = { schema: CompiledSchema } | { pending: string } | { missing: string };

/** Where schemas are found by Confluent id: the session's embedded files today, a registry later. */
export interface SchemaSource {
  byId(id: number): SchemaLookup;
  /** Whether a lookup is under way (a fetching source); a batch reader waits for `idle` then. */
  busy?(): boolean;
  /** Resolves once no lookup is under way. */
  idle?(): Promise<void>;
}

/** Compiles the session's embedded schema files once each, on first use, remembering failures. */
export class LocalSchemas implements SchemaSource {
  private readonly compiled = new Map<string, CompiledSchema | Error>();

  constructor(private readonly files: readonly SchemaFile[]) {}

  static of(settings: DecoderSettings): LocalSchemas {
    return new LocalSchemas(settings.schemas);
  }

  /** The schema file by name, compiled; throws with the reason it cannot be used. */
  byName(name: string): CompiledSchema {
    const file = this.files.find((f) => f.name === name);
    if (!file) throw new Error(`no schema file named ${name} in this session's decoder settings`);
    return this.compile(file);
  }

  byId(id: number): SchemaLookup {
    const file = this.files.find((f) => f.ids?.includes(id));
    if (!file) return { missing: `Confluent schema id ${id} is not among this session's schema files` };
    try {
      return { schema: this.compile(file) };
    } catch (err) {
      return { missing: (err as Error).message };
    }
  }

  private compile(file: SchemaFile): CompiledSchema {
    let c = this.compiled.get(file.name);
    if (!c) {
      try {
        c = file.kind === 'avsc' ? compileAvro(file) : compileProto(file, this.files);
      } catch (err) {
        c = new Error(`schema ${file.name} does not compile: ${(err as Error).message}`);
      }
      this.compiled.set(file.name, c);
    }
    if (c instanceof Error) throw c;
    return c;
  }
}
