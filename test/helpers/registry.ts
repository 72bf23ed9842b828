import { startRegistry, stopRegistry } from '../../scripts/registry/index.ts';

/**
 * A real Confluent-compatible Schema Registry for a test file: REGISTRY_URL when set (the API's
 * base URL), else the Apicurio Registry of scripts/registry, built on first use and started on
 * REGISTRY_TEST_PORT (default 18181) with empty in-memory storage; `stop` ends only a registry
 * this helper started.
 */
export async function schemaRegistry(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.REGISTRY_URL) return { url: process.env.REGISTRY_URL, stop: async () => undefined };
  const port = Number(process.env.REGISTRY_TEST_PORT ?? 18181);
  const r = await startRegistry({ port });
  return { url: r.url, stop: async () => void (r.alreadyRunning ? undefined : await stopRegistry({ port })) };
}

/** Registers a schema under a subject through the Confluent API, as a producer's serializer does; resolves its id. */
export async function registerSchema(url: string, subject: string, schema: string, schemaType?: 'AVRO' | 'PROTOBUF'): Promise<number> {
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify(schemaType ? { schema, schemaType } : { schema }),
  });
  const body = (await res.json()) as { id?: number; message?: string };
  if (!res.ok || typeof body.id !== 'number') throw new Error(`registering ${subject} answered ${res.status}: ${body.message ?? JSON.stringify(body)}`);
  return body.id;
}
