import type { DecodedPayloadView, DecoderRule, DecoderSettings } from '../../shared/decoders.ts';
import { NO_DECODERS } from '../../shared/decoders.ts';
import type { JsonValue } from '../../shared/model.ts';
import { DECODE_MAX_INPUT_BYTES } from '../common/constants.ts';
import { decodeAvro } from './avro.ts';
import { declaredCompression, decompress } from './compression.ts';
import { looksConfluent, readConfluent } from './confluent.ts';
import { decodeCbor, decodeMsgpack, detectBinary } from './detect.ts';
import { destinationMatcher } from './glob.ts';
import { decodeUtf8 } from './payload.ts';
import { decodeProto, protoType, protoTypeByIndexes, type ProtoSchema } from './protobuf.ts';
import { LocalSchemas, type CompiledSchema, type SchemaLookup, type SchemaSource } from './schema-source.ts';
import { toJsonValue } from './to-json.ts';

/** The parts of a message a decoder reads. */
export interface Decodable {
  destination: string;
  headers?: Record<string, JsonValue> | null;
  properties?: Record<string, JsonValue> | null;
  payload: Uint8Array;
}

type View = DecodedPayloadView;
const RULE_CACHE_MAX = 10_000;

/**
 * The session's decoders: the first rule whose pattern takes a destination decides its
 * format; without one, a declared compression is undone and MessagePack, CBOR and Confluent
 * frames whose schema id the session knows are recognised by content. Decoding reads the
 * payload and never changes it: the session file keeps the bytes as captured.
 */
export class DecoderRegistry {
  private readonly rules: { rule: DecoderRule; test: (d: string) => boolean }[];
  private readonly ruleCache = new Map<string, DecoderRule | null>();
  private readonly local: LocalSchemas;

  constructor(
    readonly settings: DecoderSettings = NO_DECODERS,
    /** Where Confluent schema ids are looked up; the session's own files by default (a registry client later). */
    private readonly source?: SchemaSource,
  ) {
    this.rules = settings.rules.map((rule) => ({ rule, test: destinationMatcher(rule.match) }));
    this.local = LocalSchemas.of(settings);
  }

  /** Whether a schema lookup is under way: what was decoded meanwhile may say `pending`. */
  busy(): boolean {
    return this.source?.busy?.() ?? false;
  }

  /** Resolves once no schema lookup is under way, so a batch (an export) can decode again with the answers. */
  async settle(): Promise<void> {
    await this.source?.idle?.();
  }

  /** Starts the lookup of a Confluent schema id the session's files do not stand for (the registry's, if any). */
  prefetch(id: number): void {
    this.byId(id);
  }

  private byId(id: number) {
    const found = this.local.byId(id);
    return 'schema' in found || !this.source ? found : this.source.byId(id);
  }

  ruleFor(destination: string): DecoderRule | null {
    let r = this.ruleCache.get(destination);
    if (r === undefined) {
      r = this.rules.find((x) => x.test(destination))?.rule ?? null;
      if (this.ruleCache.size >= RULE_CACHE_MAX) this.ruleCache.clear();
      this.ruleCache.set(destination, r);
    }
    return r;
  }

  /**
   * What the decoders make of a payload, or null when none applies (plain JSON, text or
   * unrecognised binary: the detail pane shows those as before). A failure is a view with
   * its `error`, never a silent null, when a rule or a header asked for decoding.
   */
  decode(m: Decodable): View | null {
    const rule = this.ruleFor(m.destination);
    const compression = rule?.compression ?? declaredCompression(m.headers, m.properties);
    if (!rule && !compression && !maybeBinary(m.payload)) return null;
    const guess: View['format'] = rule?.format ?? 'json';
    if (m.payload.byteLength > DECODE_MAX_INPUT_BYTES) {
      return rule || compression ? failed(guess, [], `${m.payload.byteLength} bytes is over the ${DECODE_MAX_INPUT_BYTES}-byte decoding limit`) : null;
    }
    const via: string[] = [];
    let bytes = m.payload;
    if (compression) {
      try {
        bytes = decompress(compression, bytes);
        via.push(compression);
      } catch (err) {
        return failed(guess, via, `${compression} decompression failed: ${(err as Error).message}`);
      }
    }
    if (rule) return this.byRule(rule, bytes, via);
    return this.detected(bytes, via, compression !== null);
  }

  /** The decoded value when it is an object (what correlation paths and field filters read), else null. */
  structured(m: Decodable): Record<string, JsonValue> | null {
    const v = this.decode(m);
    if (!v || v.error || v.format === 'text' || v.value === null || typeof v.value !== 'object' || Array.isArray(v.value)) return null;
    return v.value;
  }

  private byRule(rule: DecoderRule, bytes: Uint8Array, via: string[]): View {
    try {
      switch (rule.format) {
        case 'protobuf':
          return this.protobuf(rule, bytes, via);
        case 'avro':
          return this.avro(rule, bytes, via);
        case 'msgpack':
          return ok('msgpack', decodeMsgpack(bytes), [...via, 'MessagePack']);
        case 'cbor':
          return ok('cbor', decodeCbor(bytes), [...via, 'CBOR']);
        case 'json': {
          const text = decodeUtf8(bytes);
          if (text === null) throw new Error('the payload is not valid UTF-8');
          return ok('json', JSON.parse(text), [...via, 'JSON']);
        }
        case 'text': {
          const text = decodeUtf8(bytes);
          if (text === null) throw new Error('the payload is not valid UTF-8');
          return ok('text', text, [...via, 'text']);
        }
      }
    } catch (err) {
      const v = failed(rule.format, via, `${label(rule.format)}: ${(err as Error).message}`);
      return err instanceof PendingSchema ? { ...v, pending: true } : v;
    }
  }

  private protobuf(rule: DecoderRule, bytes: Uint8Array, via: string[]): View {
    // Field number 0 is invalid in Protobuf, so no plain message starts with 0x00: such a
    // payload is a Confluent frame.
    if (looksConfluent(bytes)) {
      const frame = readConfluent(bytes, true);
      via.push(`Confluent schema id ${frame.schemaId}, message index ${frame.indexes.join(',')}`);
      const found = this.byId(frame.schemaId);
      let schema: ProtoSchema;
      let typeName: string | undefined;
      if ('schema' in found && found.schema.kind === 'protobuf') schema = found.schema;
      else if (rule.schema) {
        schema = this.protoByName(rule.schema);
        typeName = rule.type;
        via.push(`id not local, read with ${rule.schema}`);
      } else throw notFound(found, `schema id ${frame.schemaId} is not a Protobuf schema`);
      const type = typeName ? protoType(schema, typeName) : protoTypeByIndexes(schema, frame.indexes);
      const name = type.fullName.replace(/^\./, '');
      return { ...ok('protobuf', decodeProto(type, frame.body), [...via, `Protobuf ${name}`]), typeName: name, schemaId: frame.schemaId };
    }
    if (!rule.schema) throw new Error('the rule names no .proto file, and the payload is not a Confluent frame');
    const type = protoType(this.protoByName(rule.schema), rule.type);
    const name = type.fullName.replace(/^\./, '');
    return { ...ok('protobuf', decodeProto(type, bytes), [...via, `Protobuf ${name}`]), typeName: name };
  }

  private protoByName(name: string): ProtoSchema {
    const s = this.local.byName(name);
    if (s.kind !== 'protobuf') throw new Error(`${name} is not a Protobuf schema`);
    return s;
  }

  private avro(rule: DecoderRule, bytes: Uint8Array, via: string[]): View {
    const named = rule.schema ? this.local.byName(rule.schema) : null;
    if (named && named.kind !== 'avro') throw new Error(`${rule.schema} is not an Avro schema`);
    if (looksConfluent(bytes)) {
      const frame = readConfluent(bytes, false);
      const found = this.byId(frame.schemaId);
      if ('schema' in found && found.schema.kind === 'avro') {
        // On the list before decoding, so a failure still says which schema it was read with.
        via.push(`Confluent schema id ${frame.schemaId}`);
        return avroView(found.schema, frame.body, [...via], frame.schemaId);
      }
      if (!named) throw notFound(found, `schema id ${frame.schemaId} is not an Avro schema`);
      // A plain Avro datum may start with 0x00 too (a long 0, an empty string): the whole
      // payload is tried with the rule's schema first.
      try {
        return avroView(named, bytes, via, null);
      } catch {
        return avroView(named, frame.body, [...via, `Confluent schema id ${frame.schemaId} (not local, read with ${named.name})`], frame.schemaId);
      }
    }
    if (!named) throw new Error('the rule names no .avsc file, and the payload is not a Confluent frame');
    return avroView(named, bytes, via, null);
  }

  /** No rule: Confluent frames with a known id, then MessagePack and CBOR; decompressed text as JSON or text. */
  private detected(bytes: Uint8Array, via: string[], decompressed: boolean): View | null {
    let unknownId: string | null = null;
    if (looksConfluent(bytes)) {
      const id = readConfluent(bytes, false).schemaId;
      const found = this.byId(id);
      if ('schema' in found) {
        try {
          return this.confluentKnown(found.schema, bytes, via);
        } catch (err) {
          return failed(found.schema.kind, via, `${label(found.schema.kind)} (Confluent schema id ${id}): ${(err as Error).message}`);
        }
      }
      // Said rather than shown as hex: the detail pane asks again once the schema is in.
      if ('pending' in found) return { ...failed('avro', [...via, `Confluent schema id ${id}`], found.pending), pending: true };
      // Asked of a Schema Registry: its answer is the message's reason, unless the bytes are something else.
      if (this.source) unknownId = `Confluent schema id ${id}: ${found.missing}`;
    }
    const bin = detectBinary(bytes);
    if (bin) return ok(bin.format, bin.value, [...via, bin.format === 'msgpack' ? 'MessagePack (detected)' : 'CBOR (detected)']);
    if (unknownId) return failed('avro', [...via], unknownId);
    if (!decompressed) return null;
    const text = decodeUtf8(bytes);
    if (text === null) return failed('text', via, 'the decompressed payload is binary in no format Flowscope recognises');
    try {
      return ok('json', JSON.parse(text), [...via, 'JSON']);
    } catch {
      return ok('text', text, [...via, 'text']);
    }
  }

  private confluentKnown(schema: CompiledSchema, bytes: Uint8Array, via: string[]): View {
    const frame = readConfluent(bytes, schema.kind === 'protobuf');
    if (schema.kind === 'avro') return avroView(schema, frame.body, [...via, `Confluent schema id ${frame.schemaId}`], frame.schemaId);
    const type = protoTypeByIndexes(schema, frame.indexes);
    const name = type.fullName.replace(/^\./, '');
    return {
      ...ok('protobuf', decodeProto(type, frame.body), [...via, `Confluent schema id ${frame.schemaId}, message index ${frame.indexes.join(',')}`, `Protobuf ${name}`]),
      typeName: name,
      schemaId: frame.schemaId,
    };
  }
}

/** A schema still being fetched: the message's view says pending, not failed for good. */
class PendingSchema extends Error {}

function notFound(found: SchemaLookup, otherwise: string): Error {
  if ('pending' in found) return new PendingSchema(found.pending);
  return new Error('missing' in found ? found.missing : otherwise);
}

function avroView(schema: Extract<CompiledSchema, { kind: 'avro' }>, body: Uint8Array, via: string[], schemaId: number | null): View {
  const value = decodeAvro(schema, body);
  return { ...ok('avro', value, [...via, `Avro ${schema.typeName ?? schema.name}`]), typeName: schema.typeName, schemaId };
}

/** Only binary payloads are worth a content check: JSON and text start with printable bytes. */
function maybeBinary(b: Uint8Array): boolean {
  if (b.byteLength === 0) return false;
  const c = b[0]!;
  return c === 0 || c >= 0x80;
}

function ok(format: View['format'], value: unknown, via: string[]): View {
  return { format, value: toJsonValue(value), via, typeName: null, schemaId: null, error: null };
}

function failed(format: View['format'], via: string[], error: string): View {
  return { format, value: null, via, typeName: null, schemaId: null, error };
}

function label(format: View['format'] | CompiledSchema['kind']): string {
  return { protobuf: 'Protobuf', avro: 'Avro', msgpack: 'MessagePack', cbor: 'CBOR', json: 'JSON', text: 'text' }[format];
}
