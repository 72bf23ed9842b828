import type { RequestInput } from '../../../../shared/api.ts';

/** The statuses the engine can filter pairs by. */
export type PairStatusFilter = NonNullable<RequestInput<'renderer:analysis:pairs'>['status']>;
