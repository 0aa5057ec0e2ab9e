// Builds each public entry point as ESM + CJS with one bundled .d.ts; every dependency stays external.
// The simulated server reads InvokeAI's openapi.json next to its bundle (dist/data), so it is copied
// there rather than inlined: 3 MB in two bundle formats would double the package for nothing.
const fs = require('node:fs');
const path = require('node:path');
const typescript = require('@rollup/plugin-typescript');
const json = require('@rollup/plugin-json');
const { dts } = require('rollup-plugin-dts');

const entries = { index: 'lib/index.ts', node: 'lib/node/index.ts', testing: 'lib/testing/index.ts' };
// Relative and absolute paths are ours; everything else (rxjs, fp-ts/function, node:fs ...) is a dependency.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');
// fp-ts 2 has no exports map: Node's ESM loader cannot resolve the `fp-ts/Either` directory form
// that TypeScript and bundlers accept, so the ESM bundles name the file itself.
const esmPaths = (id) => (/^fp-ts\/[A-Za-z]+$/.test(id) ? `fp-ts/lib/${id.slice('fp-ts/'.length)}.js` : id);
const ts = () => typescript({ tsconfig: './tsconfig.json', module: 'esnext', include: ['lib/**/*.ts', 'lib/**/*.json'], sourceMap: false, declaration: false });

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

const copyOpenApi = {
  name: 'copy-openapi',
  writeBundle() {
    fs.mkdirSync('dist/data', { recursive: true });
    fs.copyFileSync(path.join('lib', 'testing', 'data', 'openapi.json'), path.join('dist', 'data', 'openapi.json'));
  },
};
// An ES module has no __dirname; the Node-only bundles that look for files beside themselves get one.
const esmDirname =
  "import { fileURLToPath as __invokeaiRxFileURLToPath } from 'node:url';\n" +
  "import { dirname as __invokeaiRxDirname } from 'node:path';\n" +
  'const __dirname = __invokeaiRxDirname(__invokeaiRxFileURLToPath(import.meta.url));';

module.exports = [
  ...Object.entries(entries).flatMap(([name, input]) => [
    {
      input,
      external,
      plugins: [...(name === 'index' ? [] : [corePackageImports(name)]), json({ preferConst: true, compact: true }), ts(), ...(name === 'testing' ? [copyOpenApi] : [])],
      output: [
        { file: `dist/${name}.mjs`, format: 'es', paths: esmPaths, ...(name === 'testing' ? { banner: esmDirname } : {}) },
        { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named' },
      ],
    },
    { input, external, plugins: [...(name === 'index' ? [] : [corePackageImports(name)]), dts({ respectExternal: false })], output: { file: `dist/${name}.d.ts`, format: 'es' } },
  ]),
  {
    input: 'lib/cli/main.ts',
    external,
    plugins: [corePackageImports('cli'), json({ preferConst: true, compact: true }), ts()],
    output: { file: 'dist/cli.cjs', format: 'cjs', banner: '#!/usr/bin/env node' },
  },
];
