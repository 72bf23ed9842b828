import { useEffect, useMemo, useState } from 'react';
import type { ReplayRequest } from '../../../../shared/specs.ts';
import type { ReplayPlan, ReplayProgress, SessionInfo } from '../../../../shared/views.ts';
import { Dialog, Field } from '../../components/Dialog.tsx';
import { getClient } from '../../api/client.ts';
import { errorMessage, formatBytes, formatCount } from '../../lib/format.ts';
import type { SendBackSelection } from './DeadLetterChains.tsx';

/** The session's RabbitMQ endpoint as a target to start from: its URL without the hidden password. */
function defaultTarget(session: SessionInfo): string {
  const ep = session.endpoints.find((e) => e.transport === 'amqp');
  return ep ? ep.label.replace(/:\*\*\*@/, '@') : 'amqp://guest:guest@127.0.0.1:5672/';
}

/**
 * "Send back to origin": the dead-lettered copies re-published to the exchange and routing
 * key they were first published with. It shows what would go where (the replay's plan)
 * before anything is sent, offers a dry run, then sends with progress.
 */
export function SendBackDialog({ session, selection, onClose }: { session: SessionInfo; selection: SendBackSelection; onClose(): void }) {
  const [to, setTo] = useState(() => defaultTarget(session));
  const [plan, setPlan] = useState<ReplayPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [run, setRun] = useState<{ id: string; dryRun: boolean } | null>(null);
  const [progress, setProgress] = useState<Record<string, ReplayProgress>>({});

  const request = useMemo((): ReplayRequest => {
    const narrow = { ...(selection.queue ? { queue: selection.queue } : {}), ...(selection.reason ? { reason: selection.reason } : {}) };
    return {
      sessionId: session.id,
      to: to.trim(),
      speed: 'max',
      deadLettersToOrigin: narrow,
      ...(selection.seqs ? { filter: { seqs: selection.seqs } } : {}),
    };
  }, [session.id, to, selection]);

  useEffect(() => getClient().on('main:replay:progress', (p) => setProgress((old) => ({ ...old, [p.replayId]: p }))), []);
  useEffect(() => {
    let live = true;
    setError(null);
    const t = setTimeout(() => {
      getClient()
        .call('renderer:replay:plan', request)
        .then((p) => live && setPlan(p))
        .catch((err: unknown) => live && (setPlan(null), setError(errorMessage(err))));
    }, 250);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [request]);

  const p = run ? progress[run.id] : undefined;
  const running = run !== null && (!p || p.state === 'running');
  const start = async (dryRun: boolean) => {
    setError(null);
    try {
      const r = await getClient().call('renderer:replay:start', { ...request, ...(dryRun ? { dryRun: true } : {}) });
      setRun({ id: r.replayId, dryRun });
    } catch (err) {
      setError(errorMessage(err));
    }
  };

  return (
    <Dialog
      title={selection.title}
      onClose={onClose}
      wide
      testid="send-back-dialog"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Close
          </button>
          <button type="button" className="btn" disabled={running || !plan?.total} onClick={() => void start(true)}>
            Dry run
          </button>
          <button type="button" className="btn primary" disabled={running || !plan?.total} onClick={() => void start(false)}>
            Send back {plan ? formatCount(plan.total) : ''}
          </button>
        </>
      }
    >
      <div className="form">
        <Field label="Broker" hint="Where to publish: the recorded broker by default; add the password if it needs one.">
          <input value={to} onChange={(e) => setTo(e.target.value)} spellCheck={false} />
        </Field>
      </div>
      {plan && (
        <section className="send-back-plan" aria-label="Preview" data-testid="send-back-preview" data-total={plan.total}>
          <p>
            {formatCount(plan.total)} dead-lettered message{plan.total === 1 ? '' : 's'} would go back{plan.truncated ? ` (the first ${plan.items.length} listed)` : ''}:
          </p>
          <table className="undelivered-table">
            <thead>
              <tr>
                <th scope="col">Copy</th>
                <th scope="col">From</th>
                <th scope="col">Back to</th>
                <th scope="col">Size</th>
              </tr>
            </thead>
            <tbody>
              {plan.items.map((i) => (
                <tr key={i.seq} data-testid="send-back-row" data-seq={i.seq} data-to={i.to} data-detail={i.detail}>
                  <td>#{i.seq}</td>
                  <td>{i.from}</td>
                  <td>
                    {i.to} <span className="muted">({i.detail})</span>
                  </td>
                  <td>{formatBytes(i.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.notes.map((n) => (
            <p key={n} className="muted small">
              {n}
            </p>
          ))}
          {plan.error && <p className="inline-error">{plan.error}</p>}
        </section>
      )}
      {error && <p className="inline-error">{error}</p>}
      {run && (
        <div className="replay-progress" data-testid="send-back-progress" data-state={p?.state ?? 'running'} aria-live="polite">
          <progress max={Math.max(1, p?.total ?? 1)} value={p?.sent ?? 0} />
          <p>
            {p
              ? `${p.state === 'running' ? (run.dryRun ? 'Checking' : 'Sending') : p.state === 'done' ? 'Done' : p.state === 'cancelled' ? 'Cancelled' : 'Failed'}: ${formatCount(p.sent)} of ${formatCount(p.total)} ${run.dryRun ? 'checked (dry run, nothing sent)' : `sent to ${p.target}`}${p.failed ? `, ${formatCount(p.failed)} failed` : ''}`
              : 'Starting…'}
          </p>
          {p?.message && <p className={p.state === 'failed' ? 'inline-error' : 'muted'}>{p.message}</p>}
        </div>
      )}
    </Dialog>
  );
}
