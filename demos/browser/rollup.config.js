// Builds the browser demo into demos/browser/dist/app.js: the library and its dependencies bundled
// as ES modules, no framework. A small resolver stands in for @rollup/plugin-node-resolve (not a
// dependency): it maps each bare import to the package's ES build, and cross-fetch / isomorphic-ws
// to the browser's own fetch and WebSocket, which is what their "browser" builds do too.
const path = require('node:path');
const typescript = require('@rollup/plugin-typescript');
const json = require('@rollup/plugin-json');

const root = path.resolve(__dirname, '../..');
const nm = (...p) => path.join(root, 'node_modules', ...p);
const shims = {
  'cross-fetch': 'export default (input, init) => globalThis.fetch(input, init);',
  'isomorphic-ws': 'export default globalThis.WebSocket;',
};

const browserResolve = {
  name: 'browser-resolve',
  resolveId(id, importer) {
    if (id in shims) return `\0shim:${id}`;
    // What the package's `browser` field does for a browser bundle: no default node templates.
    if (id === './default-templates' && importer && importer.endsWith(path.join('lib', 'workflow', 'workflow.ts'))) return path.join(root, 'lib', 'workflow', 'no-default-templates.ts');
    if (id === 'rxjs') return nm('rxjs/dist/esm5/index.js');
    if (id === 'rxjs/operators') return nm('rxjs/dist/esm5/operators/index.js');
    if (id === 'immer') return nm('immer/dist/immer.mjs');
    if (id === 'io-ts') return nm('io-ts/es6/index.js');
    if (id === 'fp-ts') return nm('fp-ts/es6/index.js');
    const fp = /^fp-ts\/(?:es6\/|lib\/)?([A-Za-z]+)$/.exec(id);
    if (fp) return nm('fp-ts/es6', `${fp[1]}.js`);
    return null;
  },
  load(id) {
    return id.startsWith('\0shim:') ? shims[id.slice('\0shim:'.length)] : null;
  },
  // What bundlers do for browser builds: immer's ES build reads process.env.NODE_ENV.
  transform(code) {
    return code.includes('process.env.NODE_ENV') ? { code: code.split('process.env.NODE_ENV').join('"production"'), map: null } : null;
  },
};

module.exports = {
  input: path.join(__dirname, 'main.ts'),
  plugins: [
    browserResolve,
    json({ preferConst: true, compact: true }),
    typescript({
      tsconfig: path.join(root, 'tsconfig.json'),
      module: 'esnext',
      include: ['lib/**/*.ts', 'lib/**/*.json', 'demos/**/*.ts', 'demos/**/*.json'],
      sourceMap: false,
      declaration: false,
      noEmitOnError: false,
    }),
  ],
  onwarn(warning, warn) {
    // rxjs and fp-ts ES builds use `this` at the top level of helper modules.
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
    warn(warning);
  },
  // One file: the client loads cross-fetch (here its shim) only where a platform has no fetch, through
  // a dynamic import that would otherwise make a chunk of its own.
  output: { file: path.join(__dirname, 'dist', 'app.js'), format: 'es', inlineDynamicImports: true },
};
