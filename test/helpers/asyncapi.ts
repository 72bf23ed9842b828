import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);
const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
const specs = require('@asyncapi/specs') as { schemasWithoutId: Record<string, object> };

/**
 * The official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs) compiled with ajv, in its
 * "without $id" form, as @asyncapi/parser loads it (the other embeds the draft-07
 * meta-schema ajv already has).
 */
export function asyncApiValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(specs.schemasWithoutId['3.0.0']!);
}
