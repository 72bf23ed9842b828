import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import type { SchemaFile } from '../../shared/decoders.ts';

/**
 * Protobuf schemas from embedded `.proto` texts or a descriptor set (protobufjs). Field names
 * stay as written in the .proto (keepCase), so `--json-path order_id` names what the user
 * reads in their schema.
 */
export interface ProtoSchema {
  kind: 'protobuf';
  name: string;
  root: protobuf.Root;
  /** The file's own top-level message types in declaration order: what a Confluent message index counts. */
  topLevel: string[];
}

const PARSE = { keepCase: true };

/** Compiles one schema file with the .proto files it imports (found among `all` by name). */
export function compileProto(file: SchemaFile, all: readonly SchemaFile[]): ProtoSchema {
  if (file.kind === 'descriptor-set') {
    const bytes = Buffer.from(file.text, 'base64');
    const root = (descriptor as unknown as { FileDescriptorSet: protobuf.Type }).FileDescriptorSet.decode(bytes);
    const r = (protobuf.Root as unknown as { fromDescriptor(d: unknown, o?: unknown): protobuf.Root }).fromDescriptor(root, PARSE);
    r.resolveAll();
    return { kind: 'protobuf', name: file.name, root: r, topLevel: messageNames(r) };
  }
  const root = new protobuf.Root();
  const seen = new Set<string>();
  const add = (f: SchemaFile): void => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    const parsed = protobuf.parse(f.text, root, PARSE);
    for (const imp of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      const dep = all.find((s) => s.name === imp || s.name === imp.split('/').pop());
      if (dep) add(dep);
      else if (imp.startsWith('google/protobuf/')) addCommon(root, imp);
      else throw new Error(`${f.name} imports ${imp}, which is not among the session's schema files`);
    }
  };
  add(file);
  root.resolveAll();
  const own = protobuf.parse(file.text, new protobuf.Root(), PARSE);
  const ns = own.package ? own.root.lookup(own.package) : own.root;
  const topLevel = ns instanceof protobuf.Namespace ? ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type).map((t) => t.fullName.replace(/^\./, '')) : [];
  return { kind: 'protobuf', name: file.name, root, topLevel };
}

function addCommon(root: protobuf.Root, imp: string): void {
  const json = (protobuf.common as unknown as { get(name: string): protobuf.INamespace | null }).get(imp);
  if (!json) throw new Error(`imports ${imp}, which protobufjs does not ship`);
  root.addJSON(json.nested ?? {});
}

/** Every message type of a root, for a descriptor set (which has no one file to count). */
function messageNames(ns: protobuf.NamespaceBase): string[] {
  const out: string[] = [];
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type) out.push(n.fullName.replace(/^\./, ''));
    else if (n instanceof protobuf.Namespace) out.push(...messageNames(n));
  }
  return out;
}

/** The message type a rule names, or the schema's only one. */
export function protoType(schema: ProtoSchema, typeName: string | undefined): protobuf.Type {
  if (typeName) {
    const t = schema.root.lookup(typeName);
    if (!(t instanceof protobuf.Type)) throw new Error(`${schema.name} has no message type ${typeName}`);
    return t;
  }
  if (schema.topLevel.length === 1) return schema.root.lookupType(schema.topLevel[0]!);
  throw new Error(`${schema.name} has ${schema.topLevel.length} message types; name one (${schema.topLevel.slice(0, 5).join(', ')})`);
}

/**
 * The type a Confluent message-index list names: the first index counts the file's
 * top-level messages, each further one the nested messages of the one before.
 */
export function protoTypeByIndexes(schema: ProtoSchema, indexes: readonly number[]): protobuf.Type {
  const first = schema.topLevel[indexes[0] ?? 0];
  if (!first) throw new Error(`message index ${indexes[0]} is past the ${schema.topLevel.length} message types of ${schema.name}`);
  let t = schema.root.lookupType(first);
  for (const i of indexes.slice(1)) {
    const nested = t.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
    const next = nested[i];
    if (!next) throw new Error(`message index ${indexes.join(',')}: ${t.fullName.slice(1)} has no nested message ${i}`);
    t = next;
  }
  return t;
}

/** Decodes a whole buffer as one message, to plain JSON-able values (int64 as strings, enums by name, bytes base64). */
export function decodeProto(type: protobuf.Type, bytes: Uint8Array): Record<string, unknown> {
  const msg = type.decode(bytes);
  return type.toObject(msg, { longs: String, enums: String, bytes: String, defaults: true, json: true });
}
