import { Parser } from '@asyncapi/parser';

/**
 * What the official AsyncAPI parser (@asyncapi/parser: the 3.0 schema, reference
 * resolution and its Spectral rules) reports as errors in a document; warnings such as
 * "a newer AsyncAPI version exists" are not errors. Empty means the document is valid.
 */
export async function asyncApiErrors(doc: string | object): Promise<string[]> {
  const { diagnostics } = await new Parser().parse(typeof doc === 'string' ? doc : JSON.stringify(doc));
  // Severity 0 is "error" in Spectral's DiagnosticSeverity.
  return diagnostics.filter((d) => d.severity === 0).map((d) => `${d.path.join('.') || '(document)'}: ${d.message} [${String(d.code)}]`);
}
