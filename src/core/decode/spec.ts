import fs from 'node:fs';
import path from 'node:path';
import { parseRuleLine, schemaKindOf, type DecoderRule, type DecoderSettings, type SchemaFile, type SchemaKind } from '../../shared/decoders.ts';
import { LocalSchemas } from './schema-source.ts';
import { DECODER_SCHEMAS_MAX_BYTES } from '../common/constants.ts';

/**
 * The command line's decoder options, into settings with every schema file embedded:
 *   --decode 'PATTERN=FORMAT[+gzip|+zstd][:FILE[#Type]]'   e.g. 'orders.*=protobuf:shop.proto#shop.Order'
 *   --schema-id ID=FILE                                    a local file standing for a Confluent schema id
 * Files are read now, so the session carries their text and decodes on another machine.
 */
export function decoderSettingsFromSpecs(decodes: readonly string[], schemaIds: readonly string[], cwd = process.cwd(), hasRegistry = false): DecoderSettings {
  const schemas: SchemaFile[] = [];
  const embed = (file: string): string => {
    const abs = path.resolve(cwd, file);
    const name = path.basename(abs);
    const existing = schemas.find((s) => s.name === name);
    if (existing) return name;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(abs);
    } catch (err) {
      throw new SpecError(`cannot read schema file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const kind = schemaKind(name);
    schemas.push({ name, kind, text: kind === 'descriptor-set' ? bytes.toString('base64') : bytes.toString('utf8') });
    // .proto imports are resolved among the embedded files: bring those beside it along.
    if (kind === 'proto') for (const imp of protoImports(bytes.toString('utf8'))) {
      const near = path.join(path.dirname(abs), imp);
      if (!imp.startsWith('google/protobuf/') && fs.existsSync(near)) embed(near);
    }
    return name;
  };
  const rules: DecoderRule[] = decodes.map((d) => {
    let rule: DecoderRule;
    try {
      rule = parseRuleLine(d);
    } catch (err) {
      throw new SpecError(`--decode: ${(err as Error).message}`);
    }
    if ((rule.format === 'protobuf' || rule.format === 'avro') && !rule.schema && schemaIds.length === 0 && !hasRegistry) {
      throw new SpecError(`--decode ${rule.match}=${rule.format} needs a schema file (${rule.format}:FILE), a --schema-id ID=FILE or a --schema-registry URL`);
    }
    if (rule.schema) rule.schema = embed(rule.schema);
    return rule;
  });
  for (const s of schemaIds) {
    const m = /^(\d+)=(.+)$/.exec(s);
    if (!m) throw new SpecError(`--schema-id takes ID=FILE, got "${s}"`);
    const file = schemas.find((f) => f.name === embed(m[2]!))!;
    file.ids = [...(file.ids ?? []), Number(m[1])];
  }
  const settings = { rules, schemas };
  checkSettings(settings);
  return settings;
}

/** Refuses settings whose rules name a missing or broken schema, or a type the schema lacks: said now, not per message. */
export function checkSettings(settings: DecoderSettings): void {
  const bytes = settings.schemas.reduce((n, f) => n + f.text.length, 0);
  if (bytes > DECODER_SCHEMAS_MAX_BYTES) throw new SpecError(`the schema files come to ${bytes} bytes; a session keeps at most ${DECODER_SCHEMAS_MAX_BYTES}`);
  const names = new Set<string>();
  for (const f of settings.schemas) {
    if (names.has(f.name)) throw new SpecError(`two schema files are named ${f.name}`);
    names.add(f.name);
  }
  const local = LocalSchemas.of(settings);
  for (const r of settings.rules) {
    if (!r.schema) continue;
    let s;
    try {
      s = local.byName(r.schema);
    } catch (err) {
      throw new SpecError((err as Error).message);
    }
    if (r.format === 'protobuf' && s.kind !== 'protobuf') throw new SpecError(`${r.match}: ${r.schema} is not a .proto file or descriptor set`);
    if (r.format === 'avro' && s.kind !== 'avro') throw new SpecError(`${r.match}: ${r.schema} is not an .avsc file`);
    if (r.type && s.kind === 'protobuf' && !s.root.lookup(r.type)) throw new SpecError(`${r.match}: ${r.schema} has no message type ${r.type}`);
  }
  for (const f of settings.schemas) {
    try {
      local.byName(f.name);
    } catch (err) {
      throw new SpecError((err as Error).message);
    }
  }
}

export class SpecError extends Error {}

export function schemaKind(name: string): SchemaKind {
  const kind = schemaKindOf(name);
  if (kind) return kind;
  throw new SpecError(`${name}: a schema file ends in .proto, .avsc, or .desc/.pb/.binpb (a descriptor set)`);
}

function protoImports(text: string): string[] {
  return [...text.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;/gm)].map((m) => m[1]!);
}
