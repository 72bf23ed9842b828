import type { GroupOffset, StoredMessage } from '../../shared/model.ts';
import type {
  AnalysisSummary,
  LatencyHistogram,
  PairsPage,
  TopologyGraph,
  UndeliveredGroup,
} from '../../shared/views.ts';

/** What the engine needs from the analysis: incremental, and queried by the UI. */
export interface SessionAnalysis {
  ingest(msgs: readonly StoredMessage[]): void;
  addOffsets(rows: readonly GroupOffset[]): void;
  /** The recording is over: whatever is still open is decided (unanswered, undelivered). */
  finish(end?: number): void;
  summary(now: number): AnalysisSummary;
  pairsPage(q: { offset: number; limit: number; destination?: string; status?: 'matched' | 'unanswered' | 'orphan' | 'duplicate' }, now: number): PairsPage;
  latency(destination: string | undefined): LatencyHistogram;
  undelivered(now: number): UndeliveredGroup[];
  topology(now: number): TopologyGraph;
}
