import { useEffect, useState } from 'react';
import type { SessionInfo } from '../../../shared/views.ts';
import { formatRuleLine, parseRuleLine, schemaKindOf, splitRegistryUrl, type DecoderSettings, type SchemaFile } from '../../../shared/decoders.ts';
import { visible } from '../components/Visible.tsx';
import { Dialog } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { errorMessage } from '../lib/format.ts';
import { resetViews } from '../state/live.ts';

/**
 * The session's decoders (issue 15): one rule per line, as `record --decode` takes them, and
 * the schema files they name, embedded in the session file so that it decodes wherever it is
 * opened. The engine checks the rules against the schemas and says what is wrong.
 */
export function DecodersDialog({ session, onClose }: { session: SessionInfo; onClose(): void }) {
  const [rules, setRules] = useState<string | null>(null);
  const [schemas, setSchemas] = useState<SchemaFile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [registryUrl, setRegistryUrl] = useState('');
  const [subjects, setSubjects] = useState<{ state: 'idle' | 'loading' } | { state: 'listed'; subjects: string[] } | { state: 'failed'; error: string }>({ state: 'idle' });
  useEffect(() => {
    let live = true;
    void getClient()
      .call('renderer:session:decoders', { sessionId: session.id })
      .then((s) => {
        if (!live) return;
        setRules(s.rules.map(formatRuleLine).join('\n'));
        setSchemas(s.schemas);
        setRegistryUrl(s.registryUrl ?? '');
      })
      .catch((err: unknown) => live && setError(errorMessage(err)));
    return () => {
      live = false;
    };
  }, [session.id]);

  const addFiles = async (files: FileList | null) => {
    if (!files) return;
    const added: SchemaFile[] = [];
    for (const f of Array.from(files)) {
      const kind = schemaKindOf(f.name);
      if (!kind) {
        setError(`${f.name}: a schema file ends in .proto, .avsc, or .desc/.pb/.binpb (a descriptor set)`);
        continue;
      }
      const text = kind === 'descriptor-set' ? base64(new Uint8Array(await f.arrayBuffer())) : await f.text();
      added.push({ name: f.name, kind, text });
    }
    setSchemas((cur) => [...cur.filter((s) => !added.some((a) => a.name === s.name)), ...added]);
  };

  const save = async () => {
    setError(null);
    let settings: DecoderSettings;
    let registryAuthorization: string | null = null;
    try {
      const lines = (rules ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      settings = { rules: lines.map(parseRuleLine), schemas };
      if (registryUrl.trim()) {
        // user:password@ in the URL is sent to the engine for this session only; the file keeps the URL without it.
        const split = splitRegistryUrl(registryUrl);
        settings.registryUrl = split.url;
        registryAuthorization = split.authorization;
      }
    } catch (err) {
      setError(errorMessage(err));
      return;
    }
    try {
      await getClient().call('renderer:session:set-decoders', { sessionId: session.id, settings, ...(registryAuthorization ? { registryAuthorization } : {}) });
      resetViews(session.id);
      onClose();
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  const listSubjects = async () => {
    setSubjects({ state: 'loading' });
    try {
      const r = await getClient().call('renderer:decoders:subjects', { url: registryUrl.trim() });
      setSubjects({ state: 'listed', subjects: r.subjects });
    } catch (err) {
      setSubjects({ state: 'failed', error: errorMessage(err) });
    }
  };

  return (
    <Dialog
      title="Decoders"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" onClick={() => void save()} disabled={session.readonly || rules === null}>
            Save decoders
          </button>
        </>
      }
    >
      <label className="stack">
        <span>Rules, one per line: destination or glob = format, schema file, message type</span>
        <textarea
          className="decoder-rules"
          rows={6}
          value={rules ?? ''}
          onChange={(e) => setRules(e.target.value)}
          aria-label="Decoder rules"
          placeholder={'orders.*=protobuf:shop.proto#shop.Order\npayments=avro:payment.avsc\ntelemetry=msgpack\nlogs=json+gzip'}
          readOnly={session.readonly}
        />
      </label>
      <p className="muted small">
        Formats: protobuf, avro, msgpack, cbor, json, text; add +gzip or +zstd to decompress first. Confluent-framed records (magic byte 0 and a
        schema id) use the schema file given that id below. MessagePack, CBOR and payloads whose content-encoding header says gzip or zstd decode
        without a rule.
      </p>
      <h3>Schema files (kept in the session file)</h3>
      <ul className="decoder-schemas" aria-label="Schema files">
        {schemas.map((s) => (
          <li key={s.name}>
            <code>{s.name}</code>
            <span className="muted">{s.kind}</span>
            <label>
              Confluent ids{' '}
              <input
                className="narrow"
                aria-label={`Confluent schema ids of ${s.name}`}
                value={(s.ids ?? []).join(', ')}
                onChange={(e) => {
                  const ids = e.target.value.split(/[,\s]+/).filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n >= 0);
                  setSchemas((cur) => cur.map((x) => (x.name === s.name ? { ...x, ids } : x)));
                }}
              />
            </label>
            <button type="button" className="btn" onClick={() => setSchemas((cur) => cur.filter((x) => x.name !== s.name))} aria-label={`Remove ${s.name}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <label className="btn">
        Add schema files…
        <input type="file" multiple accept=".proto,.avsc,.json,.desc,.pb,.binpb" hidden onChange={(e) => void addFiles(e.target.files)} aria-label="Add schema files" />
      </label>
      <h3>Schema Registry</h3>
      <div className="registry-row">
        <label className="stack">
          <span>Schema Registry URL (Confluent API; ids no schema file stands for are fetched from it)</span>
          <input
            type="url"
            value={registryUrl}
            onChange={(e) => setRegistryUrl(e.target.value)}
            aria-label="Schema Registry URL"
            placeholder="http://registry:8081 or http://host:8080/apis/ccompat/v7"
            readOnly={session.readonly}
            data-testid="registry-url"
          />
        </label>
        <button type="button" className="btn" onClick={() => void listSubjects()} disabled={!registryUrl.trim() || subjects.state === 'loading'}>
          List subjects
        </button>
      </div>
      {subjects.state === 'listed' &&
        (subjects.subjects.length === 0 ? (
          <p className="muted small" data-testid="registry-subjects">
            The registry has no subjects.
          </p>
        ) : (
          <ul className="registry-subjects" aria-label="Schema Registry subjects" data-testid="registry-subjects">
            {subjects.subjects.map((name) => (
              <li key={name}>
                <code>{visible(name)}</code>
              </li>
            ))}
          </ul>
        ))}
      {subjects.state === 'failed' && (
        <p className="inline-error" role="alert" data-testid="registry-error">
          Could not list the subjects: {subjects.error}
        </p>
      )}
      <p className="muted small">The URL is kept in the session file; a user name and password typed in it are used while the session is open, never saved.</p>
      {session.readonly && <p className="muted small">This file is read-only; Save As to keep decoder settings.</p>}
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
