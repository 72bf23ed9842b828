import type { CaptureSink } from '../types.ts';
import { RelayThread } from '../ws/proxy-thread.ts';
import { MqttProxyConnector, type MqttProxyOptions } from './proxy.ts';

/**
 * The recording MQTT proxy on the relay thread the WebSocket proxy uses (ws/relay-worker.ts),
 * so relaying never waits for the recording (issue 12): the same proxy and recorded facts as
 * `MqttProxyConnector`, whose captures reach this thread's sink in acknowledged batches.
 */
export class MqttProxyThread extends RelayThread {
  readonly transport = 'mqtt' as const;

  constructor(
    private readonly opts: MqttProxyOptions,
    sink: CaptureSink,
  ) {
    super({ kind: 'mqtt', opts }, sink);
    // The same checks as the in-thread proxy (it only reads the URL), so a bad broker URL fails here with its message.
    new MqttProxyConnector(opts, { message: () => undefined, status: () => undefined });
  }

  /** Where clients connect instead of the broker. */
  get url(): string {
    const host = this.opts.listenHost ?? '127.0.0.1';
    return `mqtt://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
  }
}
