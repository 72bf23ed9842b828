import crypto from 'node:crypto';
import { ApiError } from '../../shared/api.ts';
import type { BodyReader } from '../analysis/correlation.ts';
import { NO_DECODERS, decoderSettingsSchema, type DecoderSettings } from '../../shared/decoders.ts';
import { DecoderRegistry, type Decodable } from '../decode/registry.ts';
import { decodedPreview } from '../store/rows.ts';
import { checkSettings } from '../decode/spec.ts';
import type { SessionStore } from '../store/session-store.ts';
import { getLogger } from '../common/logger.ts';
import { RegistrySchemas } from '../decode/registry-source.ts';
import { looksConfluent, readConfluent } from '../decode/confluent.ts';
import { snapshotChunks } from '../io/chunks.ts';

const log = getLogger('decode');

/** The `meta` key the settings are kept under, as JSON (README: "The session file"). */
export const DECODERS_META_KEY = 'decoders';

/**
 * A session's decoder settings: read from its file at open, kept there when changed, so a
 * session shared with someone decodes on their machine from the file alone. The store's
 * SQL filters read decoded fields through the same registry.
 */
export class SessionDecoders {
  private current: DecoderRegistry;
  private currentDigest = '';
  private registrySource: RegistrySchemas | null = null;
  private arrivedListener: (() => void) | null = null;
  /** The registry's Authorization header, in memory only. */
  private authorization: string | null = null;

  constructor(private readonly store: SessionStore) {
    this.current = this.build(readSettings(store), null);
    this.currentDigest = digestOf(this.current.settings);
    store.setDecoder(this.current);
  }

  /**
   * A Schema Registry standing in for the file's for this process only (the command line's
   * --schema-registry on export and inspect, e.g. a read-only file or credentials), with an
   * HTTP Authorization header from user info typed in its URL: neither is written to the file.
   */
  useRegistry(registry: { url: string; authorization: string | null }): void {
    this.current = this.build({ ...this.current.settings, registryUrl: registry.url }, registry.authorization);
    this.currentDigest = digestOf(this.current.settings);
    this.store.setDecoder(this.current);
  }

  /** The session's Schema Registry client, when its settings name one. */
  get registrySchemas(): RegistrySchemas | null {
    return this.registrySource;
  }

  /**
   * Fetches, from the settings' Schema Registry, every Confluent schema id the session's
   * payloads name, and waits for the answers: a batch reader (export, inspect) decodes with
   * them all rather than writing "pending". Says how many ids were asked for and, when the
   * registry could not be reached, why (the messages then decode with that reason).
   */
  async fetchSchemas(): Promise<{ ids: number; unreachable: string | null }> {
    const source = this.registrySource;
    if (!source) return { ids: 0, unreachable: null };
    const registry = this.current;
    const ids = new Set<number>();
    for await (const chunk of snapshotChunks(this.store, {}, this.store.lastSeq)) {
      for (const m of chunk) {
        if (!looksConfluent(m.payload)) continue;
        const id = readConfluent(m.payload, false).schemaId;
        if (ids.has(id)) continue;
        ids.add(id);
        registry.prefetch(id);
      }
    }
    await registry.settle();
    return { ids: ids.size, unreachable: source.unreachable() };
  }

  /** Calls `listener` when the Schema Registry answers for an id (a schema arrived, or is missing). */
  onSchemaArrived(listener: () => void): void {
    this.arrivedListener = listener;
  }

  private build(settings: DecoderSettings, authorization: string | null): DecoderRegistry {
    this.authorization = authorization;
    const source = settings.registryUrl ? new RegistrySchemas({ url: settings.registryUrl, ...(authorization ? { headers: { authorization } } : {}) }) : null;
    // A replaced source's late answers are nobody's news.
    source?.onSchema(() => {
      if (this.registrySource === source) this.arrivedListener?.();
    });
    this.registrySource = source;
    // Local schema files still win for the ids they stand for (DecoderRegistry asks them first).
    return new DecoderRegistry(settings, this.registrySource ?? undefined);
  }

  get registry(): DecoderRegistry {
    return this.current;
  }

  get settings(): DecoderSettings {
    return this.current.settings;
  }

  /** What the analysis was computed under: '' for a session without decoder settings (as every file before them). */
  get digest(): string {
    return this.currentDigest;
  }

  /**
   * Decoded bodies for correlation paths, in a session with decoder settings only: the
   * analysis of a file without them stays what it was before decoders existed (its kept
   * analysis is still valid), though the detail pane detects MessagePack and CBOR there too.
   */
  /** A live row's list cell: the decoded payload, as the store's pages show it (rules only). */
  preview(m: Decodable): string | null {
    if (this.current.settings.rules.length === 0 || m.payload.byteLength === 0) return null;
    const v = this.current.decode(m);
    return v && !v.error && v.value !== null && typeof v.value === 'object' ? decodedPreview(JSON.stringify(v.value)) : null;
  }

  readonly body: BodyReader = (m) => (this.digest === '' ? null : this.current.structured(m));

  set(settings: DecoderSettings, authorization: string | null = null): DecoderSettings {
    // Saving again with the same registry (the dialog shows the URL without its user info) keeps the credentials given before.
    const auth = authorization ?? (settings.registryUrl && settings.registryUrl === this.current.settings.registryUrl ? this.authorization : null);
    try {
      checkSettings(settings);
    } catch (err) {
      throw new ApiError('bad-request', (err as Error).message);
    }
    if (this.store.readonly) throw new ApiError('failed', 'This session file is read-only; Save As to keep decoder settings.');
    this.store.setMeta(DECODERS_META_KEY, JSON.stringify(settings));
    this.current = this.build(settings, auth);
    this.currentDigest = digestOf(settings);
    this.store.setDecoder(this.current);
    return settings;
  }
}

function digestOf(s: DecoderSettings): string {
  if (s.rules.length === 0 && s.schemas.length === 0 && !s.registryUrl) return '';
  return crypto.createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 32);
}

function readSettings(store: SessionStore): DecoderSettings {
  const raw = store.getMeta()[DECODERS_META_KEY];
  if (!raw) return NO_DECODERS;
  try {
    return decoderSettingsSchema.parse(JSON.parse(raw));
  } catch (err) {
    // A damaged or newer setting must not keep the session from opening: it shows undecoded.
    log.warn(`the decoder settings in ${store.path} cannot be read; payloads show undecoded`, err);
    return NO_DECODERS;
  }
}
