import { useEffect, useState } from 'react';
import { replayRequestSchema } from '../../../shared/specs.ts';
import type { ReplayProgress, SessionInfo } from '../../../shared/views.ts';
import { Dialog, Field } from '../components/Dialog.tsx';
import { getClient } from '../api/client.ts';
import { useApp } from '../state/app.ts';
import { isEmptyFilter } from '../state/view-state.ts';
import { errorMessage, formatCount, formatMs } from '../lib/format.ts';

type Speed = '1' | '10' | '100' | 'max';

/** Parses FROM=TO lines; returns the map or the first bad line. */
export function parseMap(text: string): { map: Record<string, string> } | { error: string } {
  const map: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0 || eq === line.length - 1) return { error: `Line ${i + 1}: write FROM=TO (got “${line}”).` };
    map[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { map };
}

/** Re-publish the session (or the filtered part) onto a broker, with progress and an ETA. */
export function ReplayDialog({ session, onClose }: { session: SessionInfo; onClose(): void }) {
  const filter = useApp((s) => s.filter);
  const [to, setTo] = useState('');
  const [speed, setSpeed] = useState<Speed>('1');
  const [mapText, setMapText] = useState('');
  const [dryRun, setDryRun] = useState(false);
  const [onlyFiltered, setOnlyFiltered] = useState(!isEmptyFilter(filter));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [replayId, setReplayId] = useState<string | null>(null);
  const [progress, setProgress] = useState<Record<string, ReplayProgress>>({});

  useEffect(() => getClient().on('main:replay:progress', (p) => setProgress((old) => ({ ...old, [p.replayId]: p }))), []);
  const p = replayId ? progress[replayId] : undefined;
  const running = replayId !== null && (!p || p.state === 'running');

  const start = async () => {
    const m = parseMap(mapText);
    if ('error' in m) {
      setErrors({ map: m.error });
      return;
    }
    const req = {
      sessionId: session.id,
      to: to.trim(),
      speed: speed === 'max' ? ('max' as const) : Number(speed),
      ...(Object.keys(m.map).length ? { map: m.map } : {}),
      ...(onlyFiltered && !isEmptyFilter(filter) ? { filter } : {}),
      ...(dryRun ? { dryRun: true } : {}),
    };
    const parsed = replayRequestSchema.safeParse(req);
    if (!parsed.success) {
      setErrors({ [String(parsed.error.issues[0]?.path[0] ?? 'form')]: parsed.error.issues[0]?.message ?? 'invalid' });
      return;
    }
    setErrors({});
    try {
      const r = await getClient().call('renderer:replay:start', req);
      setReplayId(r.replayId);
    } catch (err) {
      setErrors({ form: errorMessage(err) });
    }
  };
  const cancel = () => replayId && void getClient().call('renderer:replay:cancel', { replayId });

  return (
    <Dialog
      title="Replay onto a broker"
      onClose={onClose}
      testid="replay-dialog"
      footer={
        running ? (
          <button type="button" className="btn danger" onClick={cancel}>
            Cancel replay
          </button>
        ) : (
          <>
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
            <button type="submit" form="replay-form" className="btn primary">
              {dryRun ? 'Dry run' : 'Start replay'}
            </button>
          </>
        )
      }
    >
      <form
        id="replay-form"
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <Field label="Target" error={errors.to} hint="kafka://host:port, amqp://user:pass@host/vhost or ws://host:port/path">
          <input value={to} onChange={(e) => setTo(e.target.value)} placeholder="kafka://127.0.0.1:9092" autoFocus spellCheck={false} />
        </Field>
        <Field label="Speed" error={errors.speed} hint="1× keeps the recorded gaps between messages">
          <select value={speed} onChange={(e) => setSpeed(e.target.value as Speed)}>
            <option value="1">1× (original timing)</option>
            <option value="10">10×</option>
            <option value="100">100×</option>
            <option value="max">as fast as possible</option>
          </select>
        </Field>
        <Field label="Rename destinations" error={errors.map} hint="one FROM=TO per line, e.g. orders=orders-replay">
          <textarea rows={3} value={mapText} onChange={(e) => setMapText(e.target.value)} spellCheck={false} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} />
          Dry run (count what would be sent, send nothing)
        </label>
        <label className="check">
          <input type="checkbox" checked={onlyFiltered} disabled={isEmptyFilter(filter)} onChange={(e) => setOnlyFiltered(e.target.checked)} />
          Only the messages that match the current filter
        </label>
        {errors.form && <p className="inline-error">{errors.form}</p>}
      </form>
      {replayId && (
        <div className="replay-progress" data-testid="replay-progress" aria-live="polite">
          <progress max={Math.max(1, p?.total ?? 1)} value={p?.sent ?? 0} />
          <p>
            {p ? (
              <>
                {p.state === 'running' ? 'Sending' : p.state === 'done' ? 'Done' : p.state === 'cancelled' ? 'Cancelled' : 'Failed'}: {formatCount(p.sent)} of{' '}
                {formatCount(p.total)} {dryRun ? 'checked for' : 'sent to'} {p.target}
                {p.failed ? `, ${formatCount(p.failed)} failed` : ''}
                {p.state === 'running' && p.etaMs !== null ? ` · about ${formatMs(p.etaMs)} left` : ''}
              </>
            ) : (
              'Starting…'
            )}
          </p>
          {p?.message && <p className={p.state === 'failed' ? 'inline-error' : 'muted'}>{p.message}</p>}
        </div>
      )}
    </Dialog>
  );
}
