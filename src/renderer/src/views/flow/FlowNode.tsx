import { memo } from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import type { TopologyNode } from '../../../../shared/views.ts';
import { formatCount } from '../../lib/format.ts';
import { visible, visibleTitle } from '../../components/Visible.tsx';

export type FlowNodeData = { node: TopologyNode; active: boolean; dimmed: boolean };
export type FlowNodeType = Node<FlowNodeData, 'flow'>;

const KIND_LABEL: Record<TopologyNode['kind'], string> = {
  producer: 'producer',
  exchange: 'exchange',
  topic: 'topic',
  queue: 'queue',
  group: 'consumer group',
  consumer: 'consumer',
  'ws-client': 'ws client',
  'ws-server': 'ws server',
  endpoint: 'endpoint',
  stream: 'JetStream stream',
};

/** One box in the flow graph: kind, name, message count, and a red badge for what was lost. */
export const FlowNode = memo(function FlowNode({ data }: NodeProps<FlowNodeType>) {
  const n = data.node;
  // What passed through the node: its inbound or outbound side, whichever carried more.
  const count = Math.max(n.counts.in, n.counts.out);
  const lost = n.counts.undelivered;
  return (
    <div
      className={`flow-node kind-${n.kind}${data.active ? ' active' : ''}${data.dimmed ? ' dimmed' : ''}`}
      data-testid="flow-node"
      data-kind={n.kind}
      data-label={n.label}
      title={`${KIND_LABEL[n.kind]} ${visibleTitle(n.label)!}\n${formatCount(count)} messages${lost ? `\n${formatCount(lost)} undelivered` : ''}${n.destinations.length || n.connection ? '\nClick to filter every view to it' : ''}`}
    >
      {/* Forward edges enter left and leave right; replies (against the flow) use the lower pair. */}
      <Handle type="target" id="in" position={Position.Left} style={{ top: '38%' }} />
      <Handle type="source" id="back-out" position={Position.Left} style={{ top: '70%' }} />
      <div className="flow-node-kind">
        <span className={`kind-dot kind-${n.kind}`} aria-hidden="true" />
        {n.kind === 'topic' && n.transport === 'nats' ? 'subject' : KIND_LABEL[n.kind]}
        <span className={`badge transport-${n.transport}`}>{n.transport}</span>
      </div>
      <div className="flow-node-label">{visible(n.label)}</div>
      <div className="flow-node-count">{formatCount(count)} msgs</div>
      {lost > 0 && (
        <span className="undelivered-badge" data-testid="undelivered-badge" title={`${lost} undelivered`}>
          {formatCount(lost)}
        </span>
      )}
      <Handle type="source" id="out" position={Position.Right} style={{ top: '38%' }} />
      <Handle type="target" id="back-in" position={Position.Right} style={{ top: '70%' }} />
    </div>
  );
});
