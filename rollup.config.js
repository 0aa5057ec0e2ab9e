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

const entries = { index: 'lib/index.ts', templates: 'lib/templates/index.ts', node: 'lib/node/index.ts', testing: 'lib/testing/index.ts', bullmq: 'lib/bullmq/index.ts' };
// Relative and absolute paths are ours; everything else (rxjs, fp-ts/function, node:fs ...) is a dependency.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
// fp-ts 2 has no exports map: Node's ESM loader cannot resolve the `fp-ts/Either` directory form
// that TypeScript and bundlers accept, so the ESM bundles name the file itself.
const esmPaths = (id) => (/^fp-ts\/[A-Za-z]+$/.test(id) ? `fp-ts/lib/${id.slice('fp-ts/'.length)}.js` : id);
// Comments are stripped by `compact` below where it runs, which keeps the /*#__PURE__*/ marks that
// let an app's bundler drop what it does not use; TypeScript's removeComments would strip those too.
const ts = ({ keepAnnotations = false } = {}) =>
  typescript({ tsconfig: './tsconfig.json', module: 'esnext', include: ['lib/**/*.ts', 'lib/**/*.json'], sourceMap: false, declaration: false, removeComments: !keepAnnotations });

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
    if (top === 'templates') return { id: 'invokeai-rx/templates', external: true };
    // The CLI and the module generator (used by the node entry only) are bundled where they are used.
    if (top === 'cli' || top === 'codegen') return null;
    return { id: 'invokeai-rx', external: true };
  },
});

// The core reads its default node templates from a file of their own, dist/default-templates.*,
// which takes them from the templates entry. The package's `browser` field maps that file to
// dist/no-default-templates.* (no default), so a browser bundle carries the offline templates only
// when the app imports invokeai-rx/templates itself. Node sees the file as it is.
const DEFAULT_TEMPLATES = path.resolve('lib/workflow/default-templates.ts');
const OFFLINE_TEMPLATES = path.resolve('lib/workflow/offline-templates.ts');
/** Resolves the module at `file` (imported relatively) to the external dist file `<name>.<ext>`. */
const asDistFile = (file, name) => ({
  name: `as-dist-file-${name}`,
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    const resolved = path.resolve(path.dirname(importer), source);
    return resolved === file || `${resolved}.ts` === file ? { id: `\0dist:${name}`, external: true } : null;
  },
});
/** `paths` of an output in format `ext`: dist files named by `asDistFile`, then fp-ts (ESM only). */
const outputPaths = (ext) => (id) => (id.startsWith('\0dist:') ? `./${id.slice('\0dist:'.length)}.${ext}` : ext === 'mjs' ? esmPaths(id) : id);

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

// The offline templates are 165 kB of data: shipped once, in CommonJS, which Node's ESM loader and
// every bundler import; the ESM entry is a facade over it (two copies would break the 1.5 MB budget).
const templatesEsmFacade = {
  name: 'templates-esm-facade',
  writeBundle() {
    fs.writeFileSync(path.join('dist', 'templates.mjs'), "import offline from './templates.cjs';\nexport const templates = offline.templates;\n");
  },
};

/** The templates entry's declarations name the core's types (NodeTemplates ...) rather than copy them. */
const typesFromCore = {
  name: 'types-from-core',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.')) return null;
    return path.resolve(path.dirname(importer), source) === path.resolve('lib/workflow/types') ? { id: 'invokeai-rx', external: true } : null;
  },
};
/** How an entry reaches code outside its folder: the core and the templates bundle theirs, the others import the core. */
const entryImports = (name) => (name === 'index' ? [asDistFile(DEFAULT_TEMPLATES, 'default-templates')] : name === 'templates' ? [] : [corePackageImports(name)]);

module.exports = [
  ...Object.entries(entries).flatMap(([name, input]) => [
    {
      input,
      external,
      plugins: [...entryImports(name), json({ preferConst: true, compact: true }), ts({ keepAnnotations: true }), ...(name === 'testing' ? [writeNodeSchemas] : [])],
      output: [
        ...(name === 'templates' ? [] : [{ file: `dist/${name}.mjs`, format: 'es', paths: outputPaths('mjs'), plugins: [compact()], ...(name === 'testing' ? { banner: esmNodeGlobals } : {}) }]),
        { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named', paths: outputPaths('cjs'), plugins: [compact(), ...(name === 'templates' ? [templatesEsmFacade] : [])] },
      ],
    },
    {
      input,
      external,
      plugins: [...(name === 'templates' ? [typesFromCore] : entryImports(name)), dts({ respectExternal: false }), writeEsmDeclarations(name)],
      output: { file: `dist/${name}.d.cts`, format: 'es' },
    },
  ]),
  // The core's default templates (the templates entry's, in Node) and what a browser bundle gets instead.
  ...[
    { name: 'default-templates', input: DEFAULT_TEMPLATES },
    { name: 'no-default-templates', input: 'lib/workflow/no-default-templates.ts' },
  ].map(({ name, input }) => ({
    input,
    external,
    plugins: [asDistFile(OFFLINE_TEMPLATES, 'templates'), ts({ keepAnnotations: true })],
    output: [
      { file: `dist/${name}.mjs`, format: 'es', paths: outputPaths('mjs'), plugins: [compact()] },
      { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named', paths: outputPaths('cjs'), plugins: [compact()] },
    ],
  })),
  {
    input: 'lib/cli/main.ts',
    external,
    plugins: [corePackageImports('cli'), json({ preferConst: true, compact: true }), ts()],
    output: { file: 'dist/cli.cjs', format: 'cjs', banner: '#!/usr/bin/env node', plugins: [compact()] },
  },
];
