/**
 * The proxy's relay alone, its own process: WsProxyConnector with a sink that drops what it
 * is given, so the figure separates the relay and its flow control from the recording's cost.
 * Prints `port N` once listening; ends on SIGTERM.
 *
 *   node --import tsx bench/ws/relay-only.ts TARGET_URL
 */
import { WsProxyConnector } from '../../src/core/connectors/ws/proxy.ts';
import type { CaptureSink } from '../../src/core/connectors/types.ts';

const sink: CaptureSink = { message: () => undefined, status: () => undefined };
const proxy = new WsProxyConnector({ id: 'relay', listenPort: 0, target: process.argv[2]! }, sink);
await proxy.start();
process.stdout.write(`port ${proxy.port}\n`);
process.on('SIGTERM', () => void proxy.stop().then(() => process.exit(0)));
