#!/usr/bin/env node
// `node scripts/test.mjs …` stays the one test command without loader flags; the runner
// itself is TypeScript (scripts/test.ts), typechecked with the rest.
import { register } from 'tsx/esm/api';

register();
await import('./test.ts');
