/**
 * Re-publishing a saved session onto a broker (`flowscope replay`, the UI's Replay dialog).
 *
 * CLI usage:
 *   const replayer = new Replayer(store, { to, speed: parseSpeed(flag), map: parseMapArgs(maps), filter, dryRun,
 *     onProgress: printer.update, onPlan: (p) => console.log(formatPlan(p)) });
 *   process.once('SIGINT', () => replayer.cancel());
 *   const report = await replayer.run();   // never throws: failures are report.state 'failed'
 *   printer.end(); console.error(formatReport(report));
 */
export { Replayer, createPublisher } from './replayer.ts';
export { checkReplayLoop } from './loop-guard.ts';
export { summarizeReport } from './tally.ts';
export { parseTarget, targetLabel, ReplayTargetError } from './target.ts';
export type { ReplayOptions, ReplayReport, ReplayStatus, ReplaySpeed, PlannedSend } from './types.ts';
