/** The recorded sessions the reopen and analysis figures use: made here when run alone. */
import path from 'node:path';
import { kafkaBrokers, sessions } from '../lib/context.ts';
import type { FigureContext } from '../lib/report.ts';
import { kafkaN, recordCatchUp } from '../kafka/figure.ts';
import { fillTopic } from '../kafka/produce.ts';

/** A recorded catch-up of `n` records (the kafka figure's session when it is that size). */
export async function catchUpSession(ctx: FigureContext, n: number): Promise<string> {
  const full = kafkaN(ctx.quick);
  const key = `catchup-${n}`;
  const known = sessions.get(key) ?? (n === full ? sessions.get('catchup') : undefined);
  if (known) return known;
  const brokers = await kafkaBrokers();
  let topic = sessions.get('catchup-topic');
  if (!topic) {
    topic = `bench-catchup-${Date.now().toString(36)}`;
    await fillTopic(brokers, topic, full, ctx.dir);
    sessions.set('catchup-topic', topic);
  }
  const file = path.join(ctx.dir, `${key}.flowscope`);
  await recordCatchUp(brokers, topic, n, file);
  sessions.set(key, file);
  return file;
}
