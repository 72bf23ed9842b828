export { AmqpConnector } from './connector.ts';
export type { AmqpConnectorOptions } from './options.ts';
export { parseAmqpUrl } from './url.ts';
