// Builds each public entry point as ESM + CJS with one bundled .d.ts; every dependency stays external.
const typescript = require('@rollup/plugin-typescript');
const json = require('@rollup/plugin-json');
const { dts } = require('rollup-plugin-dts');

const entries = { index: 'lib/index.ts', node: 'lib/node/index.ts', testing: 'lib/testing/index.ts' };
// Relative and absolute paths are ours; everything else (rxjs, fp-ts/function, node:fs ...) is a dependency.
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0');

module.exports = Object.entries(entries).flatMap(([name, input]) => [
  {
    input,
    external,
    plugins: [json({ preferConst: true, compact: true }), typescript({ tsconfig: './tsconfig.json', module: 'esnext', include: ['lib/**/*.ts', 'lib/**/*.json'], sourceMap: false, declaration: false })],
    output: [
      { file: `dist/${name}.mjs`, format: 'es' },
      { file: `dist/${name}.cjs`, format: 'cjs', exports: 'named' },
    ],
  },
  { input, external, plugins: [dts({ respectExternal: false })], output: { file: `dist/${name}.d.ts`, format: 'es' } },
]);
