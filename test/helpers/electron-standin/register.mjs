// `node --import ./register.mjs out/main/index.js`: resolves `electron` to the stand-in.
// A check of the shell's wiring, not of Electron (see test/e2e/shell-wiring.test.ts).
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
