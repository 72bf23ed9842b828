import path from 'node:path';
import { flag, numberFlag, parseArgs } from '../args.ts';
import { analysisOptions, createEngine, rendererDir, untilSignal } from '../context.ts';
import { startBridge } from '../../core/bridge/server.ts';

/** `flowscope serve [FILE] [--port N] [--demo]`: the UI in a browser; first line is the URL. */
export async function serve(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const demo = args.flags.has('demo');
  const engine = createEngine('bridge', demo, analysisOptions(args));
  const file = args.positionals[0];
  if (file) engine.openSession(path.resolve(file));
  const staticDir = rendererDir();
  const bridge = await startBridge({
    engine,
    port: numberFlag(args, 'port') ?? 0,
    ...(staticDir ? { staticDir } : {}),
    ...(flag(args, 'token') ? { token: flag(args, 'token')! } : {}),
  });
  console.log(bridge.url);
  if (!staticDir) console.error('note: the UI is not built yet; run `npm run build` (the API socket works meanwhile)');
  if (demo) await engine.startDemo();
  const signal = untilSignal();
  await signal.promise;
  signal.dispose();
  await engine.shutdown();
  await bridge.close();
  return 0;
}
