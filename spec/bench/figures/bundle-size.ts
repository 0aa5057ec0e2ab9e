// What the library costs a browser app, minified (terser) and gzipped (level 9), against
// @comfyorg/sdk treated the same way. The library is built in memory with the repository's own
// rollup.config.js (byte for byte what `npm run build` writes to dist/) and laid out as an installed
// package, so that apps are bundled as a browser bundler bundles them (tools/browser-bundle.ts: the
// package's `browser` condition and field, every dependency bundled in, tree-shaken).
//   - a typical app: load a workflow typed with the server's templates, set an input, run it,
//     every dependency included: what its users download;
//   - the core's own code: dist/index.mjs whole (every export), its dependencies left out;
//   - the same for @comfyorg/sdk: a typical app of it (load, set an input, run) with its
//     dependencies, and its whole package without them.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { minify } from 'terser';
import { BenchContext, Figure, FigureModule, exactly } from '../harness';
import { BrowserChunk, bundleForBrowser } from '../../tools/browser-bundle';

const ROOT = path.join(__dirname, '..', '..', '..');
// Inside the repository's node_modules, so that the built package finds its dependencies there.
const WORK = path.join(ROOT, 'node_modules', '.cache', 'invokeai-rx-bench');
const PACKAGE = path.join(WORK, 'node_modules', 'invokeai-rx');
/**
 * The dist files a browser app can reach: the entries that run in browsers and the core's templates
 * files. The offline templates ship as CommonJS only, with an ES facade (templates.mjs) over them.
 */
const BROWSER_FILES = ['index.mjs', 'templates.cjs', 'pool.mjs', 'default-templates.mjs', 'no-default-templates.mjs'];
const KB = 1000;

/** Minified (terser, module mode, compress + mangle) then gzipped (level 9) size in bytes. */
export const minGzip = async (code: string): Promise<{ minified: number; gzipped: number }> => {
  const out = await minify(code, { module: true, compress: true, mangle: true, format: { comments: false } });
  const min = out.code ?? '';
  return { minified: Buffer.byteLength(min), gzipped: zlib.gzipSync(min, { level: 9 }).length };
};

interface RollupOutput {
  readonly file?: string;
  readonly format: string;
  readonly plugins?: ReadonlyArray<{ readonly name: string; readonly writeBundle?: () => void }>;
}
interface RollupConfig {
  readonly input: string;
  readonly output: RollupOutput | readonly RollupOutput[];
}
interface Rollup {
  rollup(o: unknown): Promise<{ generate(o: unknown): Promise<{ output: ReadonlyArray<{ type: string; code?: string }> }>; close(): Promise<void> }>;
}

/** Builds the browser entries with rollup.config.js (ES outputs only) into an installed package's layout. */
const buildPackage = async (): Promise<void> => {
  const cwd = process.cwd();
  // rollup.config.js is CommonJS and resolves its paths and plugins from the project root.
  process.chdir(ROOT);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { rollup } = require('rollup') as Rollup;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const configs = require(path.join(ROOT, 'rollup.config.js')) as readonly RollupConfig[];
    fs.rmSync(PACKAGE, { recursive: true, force: true });
    fs.mkdirSync(path.join(PACKAGE, 'dist'), { recursive: true });
    const written: string[] = [];
    for (const config of configs) {
      const outputs = Array.isArray(config.output) ? config.output : [config.output as RollupOutput];
      const browserOutput = outputs.find((o) => o.file !== undefined && BROWSER_FILES.includes(path.basename(o.file)));
      if (!browserOutput?.file) continue;
      const bundle = await rollup({ ...config, output: undefined, onwarn: () => undefined });
      const { output } = await bundle.generate({ ...browserOutput, plugins: browserOutput.plugins?.filter((plugin: { readonly writeBundle?: () => void }) => plugin.writeBundle === undefined) });
      await bundle.close();
      const chunk = output.find((o) => o.type === 'chunk');
      if (!chunk?.code) throw new Error(`rollup produced no chunk for ${config.input}`);
      fs.writeFileSync(path.join(PACKAGE, 'dist', path.basename(browserOutput.file)), chunk.code);
      written.push(path.basename(browserOutput.file));
      // Files the output writes beside its own (the templates' ES facade), written into the package.
      process.chdir(PACKAGE);
      try {
        for (const plugin of browserOutput.plugins ?? []) plugin.writeBundle?.();
        written.push(...fs.readdirSync('dist').filter((file) => !written.includes(file)));
      } finally {
        process.chdir(ROOT);
      }
    }
    for (const file of ['index.mjs', 'default-templates.mjs', 'no-default-templates.mjs', 'templates.mjs']) {
      if (!written.includes(file)) throw new Error(`rollup.config.js no longer builds dist/${file}: update the bundle figure`);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const { name, version, type, sideEffects, exports, browser } = manifest;
    fs.writeFileSync(path.join(PACKAGE, 'package.json'), JSON.stringify({ name, version, type, sideEffects, exports, browser }, null, 2));
  } finally {
    process.chdir(cwd);
  }
};

/** Bundles an app (ES module source) for the browser; returns its entry chunk and its lazy chunks apart. */
const bundleApp = async (name: string, source: string, external?: (id: string) => boolean): Promise<{ entry: BrowserChunk; lazy: BrowserChunk[] }> => {
  const file = path.join(WORK, `${name}.mjs`);
  fs.writeFileSync(file, source);
  const chunks = await bundleForBrowser(file, [], { external });
  const entry = chunks.find((c) => c.isEntry);
  if (!entry) throw new Error(`no entry chunk for ${name}`);
  return { entry, lazy: chunks.filter((c) => !c.isEntry) };
};

// A browser app that types its workflow with the server's own templates (as InvokeAI's GUI does),
// sets the prompt and runs it, showing progress.
const TYPICAL_APP = [
  "import { Workflow, setInput, createClient, serverTemplates, progressOf } from 'invokeai-rx';",
  "const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });",
  'const templates = await serverTemplates(client);',
  "const wf = setInput('Positive Prompt', 'a lighthouse')(Workflow.fromJson(globalThis.workflowText, { templates }));",
  'client.run(wf).pipe(progressOf()).subscribe(console.log);',
].join('\n');
// The same with InvokeAI's own templates, offline (invokeai-rx/templates), and no server read for them.
const OFFLINE_APP = [
  "import { Workflow, setInput, createClient, progressOf } from 'invokeai-rx';",
  "import { templates } from 'invokeai-rx/templates';",
  "const wf = setInput('Positive Prompt', 'a lighthouse')(Workflow.fromJson(globalThis.workflowText, { templates }));",
  "createClient({ baseUrl: 'http://127.0.0.1:9090' }).run(wf).pipe(progressOf()).subscribe(console.log);",
].join('\n');
// @comfyorg/sdk's own typical app: load an API-format workflow, set an input, run it.
const COMFY_APP = [
  "import { Comfy } from '@comfyorg/sdk';",
  "const comfy = new Comfy({ baseUrl: 'http://127.0.0.1:8189' });",
  'const graph = comfy.workflows.fromJson(globalThis.workflowGraph);',
  "graph.setInput('6', 'text', 'a lighthouse');",
  'console.log(await comfy.run(graph));',
].join('\n');

/** The package a module of a bundle belongs to (`invokeai-rx`, `rxjs` ...). */
const packageOf = (id: string): string => {
  const nm = id.lastIndexOf('node_modules/');
  if (nm < 0) return path.basename(id);
  const parts = id.slice(nm + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};

/** Each package's share of a bundle, by the bytes rollup rendered for it (before minifying). */
const shares = (chunk: BrowserChunk): Record<string, string> => {
  const bytes = new Map<string, number>();
  for (const m of chunk.modules) bytes.set(packageOf(m.id), (bytes.get(packageOf(m.id)) ?? 0) + m.code.length);
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  return Object.fromEntries([...bytes].sort((a, b) => b[1] - a[1]).map(([p, n]) => [`share of ${p} (before minifying)`, `${Math.round((100 * n) / total)}%`]));
};

const kB = (bytes: number): number => Math.round(bytes / 100) / 10;
const notOurs = (id: string): boolean => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('invokeai-rx');

/** The TypeScript plugin of the repository's build, for bundling apps against lib/ itself. */
const sourcePlugins = (): unknown[] => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const typescript = require('@rollup/plugin-typescript') as (o: unknown) => unknown;
  // What the package's browser field does for the built core: no default templates.
  const noDefaultTemplates = {
    name: 'no-default-templates',
    resolveId: (source: string, importer?: string) => (importer && source === './default-templates' ? path.join(ROOT, 'lib', 'workflow', 'no-default-templates.ts') : null),
  };
  return [noDefaultTemplates, typescript({ tsconfig: './tsconfig.json', module: 'esnext', include: ['lib/**/*.ts', 'lib/**/*.json', path.join(WORK, '*.ts')], sourceMap: false, declaration: false, noEmitOnError: false })];
};

/**
 * What everything the typical app does not import (the pool, the other resources, the editing and
 * typing functions ...) costs it: the app bundled from the sources against the whole core entry,
 * and against an entry that exports only the five names it imports, both min+gz with every
 * dependency. Equal sizes mean that what it does not use is tree-shaken away.
 */
const unusedExportsCost = async (): Promise<{ whole: number; lean: number }> => {
  const lib = (file: string): string => JSON.stringify(path.join(ROOT, 'lib', file));
  const lean = path.join(WORK, 'lean-entry.ts');
  fs.writeFileSync(
    lean,
    [
      `export { Workflow } from ${lib('workflow/workflow')};`,
      `export { setInput } from ${lib('workflow/inputs')};`,
      `export { createClient } from ${lib('client/client')};`,
      `export { serverTemplates } from ${lib('client/templates')};`,
      `export { progressOf } from ${lib('run/operators')};`,
    ].join('\n'),
  );
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const sizeAgainst = async (name: string, entry: string): Promise<number> => {
      const file = path.join(WORK, `${name}.mjs`);
      fs.writeFileSync(file, TYPICAL_APP.split("'invokeai-rx'").join(JSON.stringify(entry)));
      const [chunk] = await bundleForBrowser(file, sourcePlugins());
      return (await minGzip(chunk.code)).gzipped;
    };
    return { whole: await sizeAgainst('typical-app-whole-core', path.join(ROOT, 'lib', 'index.ts')), lean: await sizeAgainst('typical-app-lean-core', lean) };
  } finally {
    process.chdir(cwd);
  }
};

/** A row that puts one of our sizes beside @comfyorg/sdk's, both min+gz the same way. */
const versusComfy = (name: string, ours: number, theirs: number): Figure => ({
  name,
  baseline: '@comfyorg/sdk, same bundler, terser and gzip',
  value: exactly(ours / theirs),
  unit: 'ratio',
  goal: 'report',
  info: { 'ours (min+gz)': ours, '@comfyorg/sdk (min+gz)': theirs },
});

/** The bundle-size figure module. */
export const bundleSize: FigureModule = {
  id: 'bundle',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    ctx.log('  bundle: building the browser entries with rollup.config.js (in memory)');
    await buildPackage();
    const core = await minGzip(fs.readFileSync(path.join(PACKAGE, 'dist', 'index.mjs'), 'utf8'));
    // The facade and the CommonJS module under it, as a bundler joins them.
    const offlineTemplates = await minGzip((await bundleApp('templates-alone', "import { templates } from 'invokeai-rx/templates';\nconsole.log(templates);")).entry.code);
    ctx.log("  bundle: bundling a typical app, with the server's templates and with the offline ones");
    const typical = await bundleApp('typical-app', TYPICAL_APP);
    const typicalSize = await minGzip(typical.entry.code);
    const typicalOwn = await minGzip((await bundleApp('typical-app-own', TYPICAL_APP, notOurs)).entry.code);
    const lazy = await Promise.all(typical.lazy.map(async (c) => `${c.fileName} ${(await minGzip(c.code)).gzipped} bytes`));
    const offline = await minGzip((await bundleApp('offline-app', OFFLINE_APP)).entry.code);
    ctx.log('  bundle: the typical app from the sources, against the whole core and against only what it imports');
    const unused = await unusedExportsCost();
    ctx.log('  bundle: @comfyorg/sdk, its typical app with its dependencies and its whole package without');
    const comfyApp = await minGzip((await bundleApp('comfy-app', COMFY_APP)).entry.code);
    // Its whole package, as our core entry is measured whole: every export kept, dependencies left out.
    const comfyOwn = await minGzip((await bundleApp('comfy-own', "export * from '@comfyorg/sdk';", (id) => notOurs(id) && !id.startsWith('@comfyorg/sdk'))).entry.code);
    return [
      {
        name: "a typical browser app (load with the server's templates, setInput, run), every dependency bundled, min+gz",
        baseline: `none (a size); @comfyorg/sdk's typical app: ${kB(comfyApp.gzipped)} kB`,
        value: exactly(kB(typicalSize.gzipped)),
        unit: 'kB',
        goal: '<= 40 kB',
        met: typicalSize.gzipped <= 40 * KB,
        info: {
          'bytes (min+gz)': typicalSize.gzipped,
          'bytes (min)': typicalSize.minified,
          imports: 'Workflow, setInput, createClient, serverTemplates, progressOf',
          'of which our own code (dependencies left out, min+gz)': typicalOwn.gzipped,
          'lazy chunks (fetched only where the platform has no fetch)': lazy.join('; ') || 'none',
          ...shares(typical.entry),
        },
      },
      {
        name: 'what the exports the typical app does not import (the pool, the other resources ...) cost it, min+gz',
        baseline: 'the same app bundled from the sources against an entry of only its five imports',
        value: exactly(unused.whole - unused.lean),
        unit: 'bytes',
        goal: '< 1 kB (the pool may stay in the core)',
        met: unused.whole - unused.lean < KB,
        info: { 'against the whole core (min+gz)': unused.whole, 'against its five imports (min+gz)': unused.lean },
      },
      versusComfy("the same app against @comfyorg/sdk's typical app (load, setInput, run), both with their dependencies", typicalSize.gzipped, comfyApp.gzipped),
      {
        name: "the core's own code: dist/index.mjs whole (no offline templates), dependencies left out, min+gz",
        baseline: `none (a size); @comfyorg/sdk's whole package: ${kB(comfyOwn.gzipped)} kB`,
        value: exactly(kB(core.gzipped)),
        unit: 'kB',
        goal: '<= 30 kB',
        met: core.gzipped <= 30 * KB,
        info: { 'bytes (min+gz)': core.gzipped, 'bytes (min)': core.minified },
      },
      versusComfy("the core's own code against @comfyorg/sdk's whole package, dependencies left out of both", core.gzipped, comfyOwn.gzipped),
      {
        name: "the typical app typed with InvokeAI's own templates instead (imports invokeai-rx/templates), min+gz",
        baseline: 'none (a size)',
        value: exactly(kB(offline.gzipped)),
        unit: 'kB',
        goal: 'report',
        info: { 'bytes (min+gz)': offline.gzipped, 'invokeai-rx/templates alone (min+gz)': offlineTemplates.gzipped },
      },
    ];
  },
};
