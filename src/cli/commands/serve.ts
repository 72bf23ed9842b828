import path from 'node:path';
import { flag, numberFlag, parseArgs } from '../args.ts';
import { analysisOptions, rendererDir, untilSignal } from '../context.ts';
import { startEngineHost } from '../engine-host.ts';
import { startBridge } from '../../core/bridge/server.ts';

/**
 * `flowscope serve [FILE] [--port N] [--demo]`: the UI in a browser; first line is the URL.
 * The engine runs in its own process, as in the desktop app; this one only serves.
 */
export async function serve(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const demo = args.flags.has('demo');
  const analysis = analysisOptions(args);
  const signal = untilSignal();
  const engine = await startEngineHost('bridge', demo, analysis);
  try {
    const file = args.positionals[0];
    if (file) await engine.call('renderer:session:open', { path: path.resolve(file) });
    const staticDir = rendererDir();
    const bridge = await startBridge({
      engine,
      port: numberFlag(args, 'port') ?? 0,
      ...(staticDir ? { staticDir } : {}),
      ...(flag(args, 'token') ? { token: flag(args, 'token')! } : {}),
    });
    console.log(bridge.url);
    if (!staticDir) console.error('note: the UI is not built yet; run `npm run build` (the API socket works meanwhile)');
    if (demo) await engine.call('renderer:demo:start', {});
    await signal.promise;
    // Flush and close every session first: the socket stays up until nothing is left to lose.
    await engine.shutdown();
    await bridge.close();
    return 0;
  } catch (err) {
    await engine.shutdown();
    throw err;
  } finally {
    signal.dispose();
  }
}
