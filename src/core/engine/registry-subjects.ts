import { ApiError } from '../../shared/api.ts';
import { splitRegistryUrl } from '../../shared/decoders.ts';
import { RegistrySchemas } from '../decode/registry-source.ts';

/**
 * A Schema Registry's subjects for the Decoders dialog, before its URL is saved: user info
 * typed in the URL is sent as basic auth for this one request and appears in no answer,
 * since RegistrySchemas names the registry by its URL without it.
 */
export async function registrySubjects(raw: string): Promise<string[]> {
  let target: { url: string; authorization: string | null };
  try {
    target = splitRegistryUrl(raw);
  } catch (err) {
    throw new ApiError('bad-request', (err as Error).message);
  }
  const source = new RegistrySchemas({ url: target.url, ...(target.authorization ? { headers: { authorization: target.authorization } } : {}) });
  try {
    return await source.subjects();
  } catch (err) {
    throw new ApiError('failed', (err as Error).message);
  }
}
