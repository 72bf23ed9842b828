// Enforces the import direction between the source folders, so a folder's name is a promise:
// renderer and preload code see only the contract, the Node core never reaches the Electron
// shell or the CLI, and inside the core a lower layer never imports a higher one.
// ARCHITECTURE.md draws the same table.
import path from 'node:path';

const CORE_BASE = ['shared', 'core/common'];

/** Layer → the layers it may import (besides itself). Test and bench code may import anything. */
export const LAYERS = {
  shared: [],
  renderer: ['shared'],
  preload: ['shared'],
  'core/common': ['shared'],
  'core/decode': CORE_BASE,
  'core/connectors': [...CORE_BASE, 'core/decode'],
  'core/store': [...CORE_BASE, 'core/decode'],
  'core/analysis': [...CORE_BASE, 'core/decode'],
  'core/io': [...CORE_BASE, 'core/decode', 'core/store'],
  'core/replay': [...CORE_BASE, 'core/decode', 'core/store', 'core/io', 'core/connectors'],
  'core/demo': [...CORE_BASE, 'core/connectors', 'core/store'],
  'core/engine': [...CORE_BASE, 'core/decode', 'core/connectors', 'core/store', 'core/analysis', 'core/io', 'core/replay', 'core/demo'],
  'core/host': [...CORE_BASE, 'core/engine'],
  'core/bridge': [...CORE_BASE, 'core/engine'],
  main: ['shared', 'core'],
  cli: ['shared', 'core'],
};

/** The layer a file under src/ belongs to: the longest key of LAYERS that prefixes its path. */
export function layerOf(srcRelative) {
  let best = null;
  for (const name of Object.keys(LAYERS)) {
    if ((srcRelative === name || srcRelative.startsWith(`${name}/`)) && (!best || name.length > best.length)) best = name;
  }
  return best;
}

function allowed(from, to) {
  if (from === to) return true;
  return LAYERS[from].some((l) => to === l || to.startsWith(`${l}/`) || (l === 'core' && to.startsWith('core/')));
}

export default {
  rules: {
    layers: {
      meta: {
        type: 'problem',
        docs: { description: 'imports follow the layer table in eslint-rules/layers.js' },
        messages: { wrong: "{{from}} may not import {{to}} ('{{spec}}'); allowed: {{ok}}" },
        schema: [],
      },
      create(context) {
        const file = context.filename ?? context.getFilename();
        const src = path.join(context.cwd ?? process.cwd(), 'src');
        const rel = path.relative(src, file).split(path.sep).join('/');
        if (rel.startsWith('..')) return {};
        const from = layerOf(rel);
        if (!from) return {};
        const check = (node, spec) => {
          if (typeof spec !== 'string' || !spec.startsWith('.')) return;
          const target = path.relative(src, path.resolve(path.dirname(file), spec)).split(path.sep).join('/');
          const to = layerOf(target);
          if (!to || allowed(from, to)) return;
          context.report({ node, messageId: 'wrong', data: { from, to, spec, ok: [from, ...LAYERS[from]].join(', ') } });
        };
        return {
          ImportDeclaration: (n) => check(n, n.source.value),
          ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
          ExportAllDeclaration: (n) => check(n, n.source.value),
          ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
        };
      },
    },
  },
};
