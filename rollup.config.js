// Builds each public entry point as ESM + CJS with one bundled .d.cts (and a .d.mts that re-exports
// it, so ESM and CJS importers see the same declarations); every dependency stays external. Comments
// stay in the .d.cts, where editors show them; the JavaScript is left without comments and
// whitespace, every name kept (no mangling, no rewriting), so that stack traces still read and the
// package stays under 1.5 MB unpacked with its two formats.
// The simulated server reads InvokeAI's node schemas beside its bundle (dist/data), compacted and
// gzipped at build time (45 kB, where the whole openapi.json is 3 MB), rather than inlined twice.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const typescript = require('@rollup/plugin-typescript');
const json = require('@rollup/plugin-json');
const { dts } = require('rollup-plugin-dts');
const { minify } = require('terser');

const entries = { index: 'lib/index.ts', node: 'lib/node/index.ts', testing: 'lib/testing/index.ts', bullmq: 'lib/bullmq/index.ts' };
// Relative and absolute paths are ours; everything else (rxjs, fp-ts/function, node:fs ...) is a dependency.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
// fp-ts 2 has no exports map: Node's ESM loader cannot resolve the `fp-ts/Either` directory form
// that TypeScript and bundlers accept, so the ESM bundles name the file itself.
const esmPaths = (id) => (/^fp-ts\/[A-Za-z]+$/.test(id) ? `fp-ts/lib/${id.slice('fp-ts/'.length)}.js` : id);
const ts = () => typescript({ tsconfig: './tsconfig.json', module: 'esnext', include: ['lib/**/*.ts', 'lib/**/*.json'], sourceMap: false, declaration: false, removeComments: true });

// The node, testing and CLI bundles import the core by its package name (Node resolves a package's
// own name through its `exports`), so one process holds one copy of the core: a WorkflowDecodeError
// thrown by loadWorkflowFile is then `instanceof` the one users import, and caches are shared.
const corePackageImports = (ownDir) => ({
  name: 'core-package-imports',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const lib = path.resolve('lib');
    const resolved = path.resolve(path.dirname(importer), source);
    if (!resolved.startsWith(lib + path.sep) || resolved.startsWith(path.join(lib, ownDir) + path.sep)) return null;
    const top = path.relative(lib, resolved).split(path.sep)[0];
    if (top === 'node') return { id: 'invokeai-rx/node', external: true };
    if (top === 'testing') return { id: 'invokeai-rx/testing', external: true };
    // The CLI and the module generator (used by the node entry only) are bundled where they are used.
    if (top === 'cli' || top === 'codegen') return null;
    return { id: 'invokeai-rx', external: true };
  },
});

const writeNodeSchemas = {
  name: 'write-node-schemas',
  writeBundle() {
    // The compaction is the simulator's own (lib/testing/openapi.ts), loaded through tsx.
    const { compactOpenApi, SHIPPED_SCHEMAS_FILE } = require('tsx/cjs/api').require('./lib/testing/openapi.ts', __filename);
    const document = JSON.parse(fs.readFileSync(path.join('lib', 'testing', 'data', 'openapi.json'), 'utf8'));
    fs.mkdirSync('dist/data', { recursive: true });
    fs.rmSync(path.join('dist', 'data', 'openapi.json'), { force: true });
    fs.writeFileSync(path.join('dist', 'data', SHIPPED_SCHEMAS_FILE), zlib.gzipSync(JSON.stringify(compactOpenApi(document)), { level: 9 }));
  },
};
// An ES module has no __dirname nor require; the simulator's bundle looks for files beside itself
// and loads its optional peer dependencies (socket.io, pngjs) on first use, so it gets both.
const esmNodeGlobals =
  "import { fileURLToPath as __invokeaiRxFileURLToPath } from 'node:url';\n" +
  "import { dirname as __invokeaiRxDirname } from 'node:path';\n" +
  "import { createRequire as __invokeaiRxCreateRequire } from 'node:module';\n" +
  'const __dirname = __invokeaiRxDirname(__invokeaiRxFileURLToPath(import.meta.url));\n' +
  'const require = __invokeaiRxCreateRequire(import.meta.url);';

/** Drops comments and layout whitespace from a chunk; names, statements and `#__PURE__` annotations stay. */
const compact = () => ({
  name: 'compact',
  async renderChunk(code, chunk, options) {
    const out = await minify(code, { compress: false, mangle: false, module: options.format === 'es', format: { comments: false, preserve_annotations: true } });
    return { code: out.code, map: null };
  },
});

/** The ESM declarations: the CJS ones, re-exported (one set of declarations, whichever way the package is loaded). */
const writeEsmDeclarations = (name) => ({
  name: 'write-esm-declarations',
  writeBundle() {
    fs.writeFileSync(path.join('dist', `${name}.d.mts`), `export * from './${name}.cjs';\n`);
  },
});

module.exports = [
  ...Object.entries(entries).flatMap(([name, input]) => [
    {
      input,
      external,
      plugins: [...(name === 'index' ? [] : [corePackageImports(name)]), json({ preferConst: true, compact: true }), ts(), ...(name === 'testing' ? [writeNodeSchemas] : [])],
      output: [
        { file: `dist/${name}.mjs`, format: 'es', paths: esmPaths, plugins: [compact()], ...(name === 'testing' ? { banner: esmNodeGlobals } : {}) },
        { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named', plugins: [compact()] },
      ],
    },
    {
      input,
      external,
      plugins: [...(name === 'index' ? [] : [corePackageImports(name)]), dts({ respectExternal: false }), writeEsmDeclarations(name)],
      output: { file: `dist/${name}.d.cts`, format: 'es' },
    },
  ]),
  {
    input: 'lib/cli/main.ts',
    external,
    plugins: [corePackageImports('cli'), json({ preferConst: true, compact: true }), ts()],
    output: { file: 'dist/cli.cjs', format: 'cjs', banner: '#!/usr/bin/env node', plugins: [compact()] },
  },
];
