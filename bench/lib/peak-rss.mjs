// Preloaded into a measured process (`node --import` this file): at exit, it writes the
// process's peak resident memory to stderr. Sampling /proc from outside misses a peak that
// comes in the last moments, and a recording's largest allocation comes as it stops (the
// final flush and the analysis kept in the file).
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

// `--import` preloads into worker threads too; only the process's own exit is its last word.
if (isMainThread) {
  process.on('exit', () => {
    fs.writeSync(2, `\nflowscope-bench peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
  });
}
