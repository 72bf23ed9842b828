/** Settings of one RabbitMQ endpoint. */
export interface AmqpConnectorOptions {
  id: string;
  /** amqp://user:pass@host:port/vhost or amqps://… (the password never leaves memory). */
  url: string;
  /**
   * Exchanges to tap. Each gets a binding to one exclusive tap queue. Note that a tap makes
   * a message that no application queue wants routable: a `mandatory` publish is then not
   * returned and an alternate exchange not used. For exact routing facts use the firehose
   * alone (`exchanges: []`, `firehose: true`).
   */
  exchanges: string[];
  /**
   * Application queues to consume from. Flowscope then competes with the application's
   * consumers: each message goes to one consumer only, and Flowscope acks what it gets.
   */
  queues?: string[];
  /**
   * Read the firehose (`amq.rabbitmq.trace`) of the whole vhost: every publish with its
   * routed queues, every delivery. Needs `rabbitmqctl trace_on -p <vhost>` on the broker.
   */
  firehose?: boolean;
  /**
   * http://host:15672 of the management plugin (same credentials as the AMQP URL unless
   * the URL has its own). Left out, the broker's host on the plugin's default port is tried;
   * `false` never asks. It gives exchange types, bindings and the queue arguments that
   * dead-letter tapping needs.
   */
  managementUrl?: string | false;
  /**
   * Tap the exchanges through a durable, non-exclusive queue that survives a dropped
   * connection: after a reconnect the tap reads what was published meanwhile, so nothing is
   * lost. Its cost: while Flowscope is away (a network cut, a crash) the queue keeps filling
   * on the broker (bounded by x-max-length, and deleted by the broker after
   * AMQP_DURABLE_TAP_EXPIRES_MS without a consumer). A clean stop deletes it. Without it,
   * the tap queue is exclusive and dies with its connection: a reconnect is recorded as a gap.
   */
  durableTap?: boolean;
  /** How often the management API is read again while recording (default 10 s). */
  managementRefreshMs?: number;
  /** Reconnect backoff: first delay and ceiling in ms (defaults 500 and 15 000). */
  retry?: { initialMs?: number; maxMs?: number };
  connectTimeoutMs?: number;
  /** How long a tap copy waits for its firehose event before it is recorded on its own. */
  reconcileMs?: number;
}
