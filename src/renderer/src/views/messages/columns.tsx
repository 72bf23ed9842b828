import type { ReactNode } from 'react';
import type { MessageRow } from '../../../../shared/model.ts';
import type { ColumnId } from '../../state/view-state.ts';
import { formatBytes, formatClock } from '../../lib/format.ts';
import { EventBadge, TransportBadge } from '../../components/badges.tsx';
import { visible, visibleTitle } from '../../components/Visible.tsx';

export interface Column {
  id: ColumnId;
  label: string;
  /** A CSS grid track. */
  width: string;
  render(row: MessageRow): ReactNode;
  /** What the column holds, for the header's tooltip. */
  help?: string;
  /** Text for the cell's tooltip. */
  title?(row: MessageRow): string | undefined;
  align?: 'right';
}

/** Where the message sits on its transport: Kafka partition/offset, AMQP routing key, WebSocket connection. */
export function position(row: MessageRow): string {
  if (row.transport === 'kafka') return row.partition === null ? '' : `p${row.partition} @${row.offset ?? '?'}`;
  if (row.transport === 'amqp') return row.routingKey ?? '';
  return row.connection ?? '';
}

export const COLUMN_DEFS: Record<ColumnId, Column> = {
  seq: { id: 'seq', label: '#', width: '64px', render: (r) => r.seq, align: 'right' },
  time: {
    id: 'time',
    label: 'Time',
    width: '104px',
    render: (r) => formatClock(r.eventTime),
    title: (r) => `${new Date(r.eventTime).toISOString()} (${r.eventTimeSource === 'capture' ? 'captured' : `${r.eventTimeSource}; captured ${new Date(r.time).toISOString()}`})`,
    help: 'Event time: the Kafka record timestamp or AMQP timestamp where there is one, else when Flowscope saw it',
  },
  transport: { id: 'transport', label: 'Via', width: '68px', render: (r) => <TransportBadge transport={r.transport} />, help: 'Transport' },
  event: { id: 'event', label: 'Event', width: '72px', render: (r) => <EventBadge event={r.event} /> },
  destination: {
    id: 'destination',
    label: 'Destination',
    width: 'minmax(120px, 1.2fr)',
    render: (r) => visible(r.destination),
    title: (r) => visibleTitle(`${r.destKind}: ${r.destination}`),
  },
  position: {
    id: 'position',
    label: 'Route',
    width: 'minmax(80px, 0.7fr)',
    render: (r) => visible(position(r)),
    title: (r) => visibleTitle(position(r)),
    help: 'Kafka partition @ offset, AMQP routing key, or WebSocket connection',
  },
  key: { id: 'key', label: 'Key', width: 'minmax(70px, 0.6fr)', render: (r) => visible(r.key ?? ''), title: (r) => visibleTitle(r.key ?? undefined) },
  correlationId: {
    id: 'correlationId',
    label: 'Corr. ID',
    width: 'minmax(86px, 0.6fr)',
    render: (r) => visible(r.correlationId ?? ''),
    title: (r) => visibleTitle(r.correlationId ?? undefined),
  },
  size: { id: 'size', label: 'Size', width: '60px', render: (r) => formatBytes(r.size), align: 'right' },
  preview: {
    id: 'preview',
    label: 'Payload',
    width: 'minmax(160px, 3fr)',
    render: (r) => visible(r.preview),
    title: (r) => visibleTitle(r.preview.slice(0, 400)),
  },
};

export function gridTemplate(columns: readonly ColumnId[]): string {
  return columns.map((c) => COLUMN_DEFS[c].width).join(' ');
}
