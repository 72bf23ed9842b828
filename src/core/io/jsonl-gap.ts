import { GAP_REASONS, type Gap, type GapReason } from '../../shared/model.ts';
import type { MessageFilter } from '../../shared/filter.ts';
import { ImportLineError } from './lines.ts';
import { timeProblem } from './validate.ts';

/**
 * A gap in Flowscope's JSON Lines (shared/model.ts Gap): a line with `"type": "gap"`, so a
 * reader of messages can skip it and an import brings it back. Times as for messages:
 * `start`/`end` ISO 8601 for people, `startMs`/`endMs` exact, and those win on import.
 */
export function toJsonlGap(g: Gap): Record<string, unknown> {
  return {
    type: 'gap',
    endpoint: g.endpoint,
    start: timeProblem(g.start) ? null : new Date(g.start).toISOString(),
    startMs: g.start,
    end: timeProblem(g.end) ? null : new Date(g.end).toISOString(),
    endMs: g.end,
    lost: g.lost,
    reason: g.reason,
    detail: g.detail,
  };
}

export function isJsonlGap(o: Record<string, unknown>): boolean {
  return o.type === 'gap';
}

/** Validates a gap line; every problem names the line and the field. */
export function fromJsonlGap(o: Record<string, unknown>, line: number): Gap {
  const fail = (problem: string): never => {
    throw new ImportLineError(line, problem);
  };
  const time = (name: 'start' | 'end'): number => {
    const ms = o[`${name}Ms`];
    const v = typeof ms === 'number' ? ms : typeof o[name] === 'string' ? Date.parse(o[name] as string) : NaN;
    if (!Number.isFinite(v)) return fail(`gap: "${name}Ms" must be epoch milliseconds (or "${name}" an ISO 8601 date)`);
    const bad = timeProblem(v);
    return bad ? fail(`gap: "${name}" ${bad}`) : v;
  };
  const start = time('start');
  const end = time('end');
  if (end < start) fail('gap: "end" is before "start"');
  const lost = o.lost ?? null;
  if (lost !== null && (typeof lost !== 'number' || !Number.isSafeInteger(lost) || lost < 0)) {
    fail('gap: "lost" must be a count (a whole number from 0) or null');
  }
  if (!GAP_REASONS.includes(o.reason as GapReason)) fail(`gap: "reason" must be one of ${GAP_REASONS.join(', ')}`);
  for (const name of ['endpoint', 'detail'] as const) {
    if (o[name] !== undefined && o[name] !== null && typeof o[name] !== 'string') fail(`gap: "${name}" must be a string`);
  }
  return {
    endpoint: (o.endpoint as string | undefined) ?? null,
    start,
    end,
    lost: lost as number | null,
    reason: o.reason as GapReason,
    detail: (o.detail as string | undefined) ?? null,
  };
}

/** The gaps an export with `filter` keeps: those of its endpoint that overlap its time range. */
export function gapsFor(gaps: readonly Gap[], filter: MessageFilter): Gap[] {
  return gaps.filter(
    (g) =>
      (filter.endpoint === undefined || g.endpoint === null || g.endpoint === filter.endpoint) &&
      (filter.fromTime === undefined || g.end >= filter.fromTime) &&
      (filter.toTime === undefined || g.start <= filter.toTime),
  );
}
