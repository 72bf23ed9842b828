import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * A small tmpfs, so a test can fill a real disk (issue 14). Needs root, as the CI on this
 * machine has. `fill` writes a filler file until the kernel says ENOSPC; `free` removes it.
 */
export interface SmallDisk {
  dir: string;
  fill(): void;
  free(): void;
  /** Unmounts; call it in a `finally`. */
  dispose(): void;
}

export function mountSmallDisk(size: string): SmallDisk {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowscope-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  const filler = path.join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = fs.openSync(filler, 'a');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) fs.writeSync(fd, block);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
      // Down to the last bytes: a block smaller than 64 KiB may still fit.
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(512));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    dispose() {
      try {
        execFileSync('umount', ['-l', dir]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
