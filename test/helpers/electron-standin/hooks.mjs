// Module hooks: `electron` is the stand-in beside this file; everything else resolves as usual.
const STANDIN = new URL('./electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: STANDIN, shortCircuit: true };
  return next(specifier, context);
}
