import type { JsonValue } from '../../../shared/model.ts';
import type { DiscoveredBinding, DiscoveredExchange, DiscoveredQueue } from '../../../shared/discovery.ts';
import { toJson } from './properties.ts';
import { isOwnQueue } from './firehose.ts';
import { queueLimits } from './queue-limits.ts';
import { MANAGEMENT_TIMEOUT_MS } from '../../common/constants.ts';
import { AuthenticationError, ConnectionError, FlowscopeError, NotFoundError } from '../../common/errors.ts';
import { maskPassword } from '../../common/redact.ts';

/**
 * RabbitMQ management HTTP API (rabbitmq_management plugin, usually port 15672):
 * https://www.rabbitmq.com/docs/http-api-reference. Optional: it gives exchange types,
 * the real bindings (so direct exchanges can be tapped per key) and each queue's arguments
 * and policy (dead-letter exchange, TTL, length and delivery limits, which AMQP cannot
 * read); without it Flowscope learns the topology from what it observes.
 */
export interface ManagementSnapshot {
  exchanges: DiscoveredExchange[];
  queues: DiscoveredQueue[];
  bindings: DiscoveredBinding[];
}

export interface ManagementAuth {
  user: string;
  password: string;
}

/** Fetches exchanges, queues and bindings of one vhost. Errors carry no password. */
export async function fetchManagement(
  baseUrl: string,
  vhost: string,
  auth: ManagementAuth,
  timeoutMs = MANAGEMENT_TIMEOUT_MS,
): Promise<ManagementSnapshot> {
  const base = new URL(baseUrl);
  // Credentials in the management URL win over the AMQP ones.
  const user = base.username ? decodeURIComponent(base.username) : auth.user;
  const password = base.password ? decodeURIComponent(base.password) : auth.password;
  base.username = '';
  base.password = '';
  const root = base.toString().replace(/\/+$/, '');
  const headers = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
  const v = encodeURIComponent(vhost);
  const where = `management API at ${maskPassword(baseUrl)}`;
  const get = async (path: string): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${root}/api/${path}/${v}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      throw new ConnectionError(`${where} is not reachable (${code ?? (err as Error).name})`, { cause: err, ...(code ? { code } : {}) });
    }
    if (res.status === 401) throw new AuthenticationError(`${where} refused user '${user}'`);
    if (res.status === 404) throw new NotFoundError(`${where} does not know vhost '${vhost}'`);
    if (!res.ok) throw new FlowscopeError(`${where} answered HTTP ${res.status}`);
    return res.json();
  };
  const [ex, qs, bs] = (await Promise.all([get('exchanges'), get('queues'), get('bindings')])) as Record<string, unknown>[][];
  return {
    exchanges: (ex ?? []).map((e) => ({
      name: String(e.name) === '' ? 'amq.default' : String(e.name),
      type: String(e.type),
      durable: Boolean(e.durable),
    })),
    queues: (qs ?? [])
      .filter((q) => !isOwnQueue(String(q.name)))
      .map((q) => {
        const args = objectOf(q.arguments);
        const limits = queueLimits(args, objectOf(q.effective_policy_definition));
        return {
          name: String(q.name),
          ...(typeof q.messages === 'number' ? { messages: q.messages } : {}),
          ...(typeof q.consumers === 'number' ? { consumers: q.consumers } : {}),
          ...(typeof q.type === 'string' ? { type: q.type } : {}),
          ...(Object.keys(args).length ? { arguments: args } : {}),
          ...(typeof q.policy === 'string' && q.policy ? { policy: q.policy } : {}),
          ...(Object.keys(limits).length ? { limits } : {}),
        } satisfies DiscoveredQueue;
      }),
    bindings: (bs ?? [])
      .filter((b) => String(b.source) !== '' && !isOwnQueue(String(b.destination)))
      .map((b) => {
        const args = toJson(b.arguments ?? {}) as Record<string, JsonValue>;
        return {
          source: String(b.source),
          destination: String(b.destination),
          destinationType: b.destination_type === 'exchange' ? 'exchange' : 'queue',
          routingKey: String(b.routing_key ?? ''),
          ...(Object.keys(args).length ? { arguments: args } : {}),
        } satisfies DiscoveredBinding;
      }),
  };
}

function objectOf(v: unknown): Record<string, JsonValue> {
  const j = toJson(v ?? {});
  return j && typeof j === 'object' && !Array.isArray(j) ? j : {};
}
