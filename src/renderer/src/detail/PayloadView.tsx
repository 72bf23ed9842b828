import { useState } from 'react';
import type { MessageDetail } from '../../../shared/model.ts';
import { formatBytes } from '../lib/format.ts';
import { JsonHighlight } from './json-highlight.tsx';
import { visible } from '../components/Visible.tsx';
import { DecodedTree } from './DecodedTree.tsx';

const FORMAT_LABEL = { protobuf: 'Protobuf', avro: 'Avro', msgpack: 'MessagePack', cbor: 'CBOR', json: 'JSON', text: 'Text' } as const;

/**
 * The payload: decoded when a session decoder reads it (with a Raw toggle back to the
 * bytes), else as pretty JSON, text or hex. A failed decoding shows its reason above the raw
 * bytes, never a blank.
 */
export function PayloadView({ detail }: { detail: MessageDetail }) {
  const decoded = detail.decoded;
  const [raw, setRaw] = useState(false);
  if (!decoded) return <RawPayload detail={detail} />;
  const failed = decoded.error !== null;
  return (
    <>
      <section className="payload decoded" data-testid="decoded" data-format={decoded.format} data-failed={failed ? 'true' : 'false'} data-pending={decoded.pending ? 'true' : 'false'}>
        <div className="payload-head">
          <h3>Decoded</h3>
          <span className="muted" data-testid="decoded-via">
            {decoded.via.join(' → ') || FORMAT_LABEL[decoded.format]}
          </span>
          {!failed && (
            <div className="tabs small">
              <button type="button" aria-pressed={raw} onClick={() => setRaw(!raw)} data-testid="raw-toggle">
                Raw
              </button>
            </div>
          )}
        </div>
        {decoded.pending ? (
          <p className="muted" role="status" data-testid="decode-pending">
            {visible(decoded.error ?? 'The schema is being fetched')}…
          </p>
        ) : failed ? (
          <p className="inline-error" role="alert" data-testid="decode-error">
            Could not decode: {visible(decoded.error ?? '')}
          </p>
        ) : (
          !raw && <div className="payload-body">{decoded.value !== null && <DecodedTree value={decoded.value} />}</div>
        )}
      </section>
      {(raw || failed) && <RawPayload detail={detail} />}
    </>
  );
}

type Tab = 'pretty' | 'text' | 'hex';

/** The payload as pretty JSON, text or hex, whichever the bytes allow. */
function RawPayload({ detail }: { detail: MessageDetail }) {
  const tabs: Tab[] = detail.encoding === 'json' ? ['pretty', 'text', 'hex'] : detail.encoding === 'text' ? ['text', 'hex'] : ['hex'];
  const [chosen, setTab] = useState<Tab>(tabs[0]!);
  const tab = tabs.includes(chosen) ? chosen : tabs[0]!;
  const rawText = tab === 'text' && detail.encoding === 'json' && detail.payloadBase64 ? decodeBase64Utf8(detail.payloadBase64) : null;
  return (
    <section className="payload">
      <div className="payload-head">
        <h3>Payload</h3>
        <span className="muted">
          {formatBytes(detail.size)} · {detail.encoding === 'binary' ? 'binary' : detail.encoding.toUpperCase()}
          {detail.truncated ? ' · truncated for display' : ''}
        </span>
        <div className="tabs small" role="tablist" aria-label="Payload format">
          {tabs.map((t) => (
            <button key={t} type="button" role="tab" aria-selected={t === tab} onClick={() => setTab(t)}>
              {t === 'pretty' ? 'JSON' : t === 'text' ? 'Text' : 'Hex'}
            </button>
          ))}
        </div>
      </div>
      <pre className={`payload-body ${tab}`} data-testid="payload" role="tabpanel">
        {detail.size === 0 ? (
          <span className="muted">(empty payload)</span>
        ) : tab === 'pretty' ? (
          <JsonHighlight text={detail.text ?? ''} />
        ) : tab === 'text' ? (
          visible(rawText ?? detail.text ?? '', true)
        ) : (
          detail.hex
        )}
      </pre>
    </section>
  );
}

function decodeBase64Utf8(b64: string): string | null {
  try {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
