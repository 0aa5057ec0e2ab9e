// The core entry's size, minified (terser) and gzipped, against @saintno/comfyui-sdk's published
// ESM bundle treated the same way. Both keep their dependencies external (ours: rxjs, io-ts, fp-ts,
// immer, cross-fetch, isomorphic-ws; theirs: ws), so the comparison is code against code. The entry
// is built in memory with the repository's own rollup config (byte for byte what `npm run build`
// writes to dist/index.mjs), which also gives the per-module breakdown of what takes the space.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { minify } from 'terser';
import { BenchContext, Figure, FigureModule, exactly } from '../harness';

const ROOT = path.join(__dirname, '..', '..', '..');
const ANCHOR = path.join(ROOT, 'node_modules', '@saintno', 'comfyui-sdk', 'build', 'index.esm.js');

/** Minified (terser, module mode, compress + mangle) then gzipped (level 9) size in bytes. */
export const minGzip = async (code: string): Promise<{ minified: number; gzipped: number }> => {
  const out = await minify(code, { module: true, compress: true, mangle: true, format: { comments: false } });
  const min = out.code ?? '';
  return { minified: Buffer.byteLength(min), gzipped: zlib.gzipSync(min, { level: 9 }).length };
};

interface RollupModuleInfo {
  readonly renderedLength: number;
}
interface RollupChunk {
  readonly type: 'chunk';
  readonly code: string;
  readonly modules: Readonly<Record<string, RollupModuleInfo>>;
}

// What an application that runs one workflow imports: the bundler keeps only what these reach.
const TYPICAL_APP = [
  `import { Workflow, setInput, createClient, progressOf } from ${JSON.stringify(path.join(ROOT, 'lib', 'index.ts'))};`,
  "const wf = setInput('Positive Prompt', 'a lighthouse')(Workflow.fromJson(globalThis.workflowText));",
  "createClient({ baseUrl: 'http://127.0.0.1:9090' }).run(wf).pipe(progressOf()).subscribe(console.log);",
].join('\n');

/**
 * Builds `lib/index.ts` as rollup.config.js does for dist/index.mjs, in memory; with `app`, builds
 * that application source against the library instead (tree-shaken, dependencies external).
 */
const buildCoreEntry = async (app?: string): Promise<RollupChunk> => {
  // rollup.config.js is CommonJS and resolves its plugins relative to the project root.
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rollup = require('rollup') as { rollup: (o: unknown) => Promise<{ generate: (o: unknown) => Promise<{ output: ReadonlyArray<RollupChunk | { type: 'asset' }> }>; close: () => Promise<void> }> };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const configs = require(path.join(ROOT, 'rollup.config.js')) as ReadonlyArray<{ input: string; output: unknown }>;
    const config = configs.find((c) => c.input === 'lib/index.ts' && Array.isArray(c.output));
    if (!config) throw new Error('rollup.config.js has no lib/index.ts bundle: update the bundle-size figure');
    const esm = (config.output as ReadonlyArray<{ format: string }>).find((o) => o.format === 'es');
    const entry = {
      name: 'typical-app',
      resolveId: (id: string) => (id === 'typical-app' ? id : null),
      load: (id: string) => (id === 'typical-app' ? app ?? null : null),
    };
    const plugins = (config as { plugins?: unknown[] }).plugins ?? [];
    const input = app === undefined ? config.input : 'typical-app';
    const bundle = await rollup.rollup({ ...config, input, plugins: app === undefined ? plugins : [entry, ...plugins], output: undefined, onwarn: () => undefined });
    const { output } = await bundle.generate(esm);
    await bundle.close();
    const chunk = output.find((o): o is RollupChunk => o.type === 'chunk');
    if (!chunk) throw new Error('rollup produced no chunk');
    return chunk;
  } finally {
    process.chdir(cwd);
  }
};

/** The bundle-size figure module. */
export const bundleSize: FigureModule = {
  id: 'bundle',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    ctx.log('  bundle: building lib/index.ts with rollup.config.js (in memory)');
    const chunk = await buildCoreEntry();
    const ours = await minGzip(chunk.code);
    const anchor = await minGzip(fs.readFileSync(ANCHOR, 'utf8'));
    ctx.log('  bundle: building a typical application against lib/index.ts (tree-shaken)');
    const app = await minGzip((await buildCoreEntry(TYPICAL_APP)).code);
    // What takes the space: rendered bytes per source folder, and the templates snapshot alone.
    const byGroup = new Map<string, number>();
    for (const [id, m] of Object.entries(chunk.modules)) {
      const rel = path.relative(path.join(ROOT, 'lib'), id);
      const group = rel.endsWith('templates-snapshot.json') ? 'workflow/templates-snapshot.json' : rel.split(path.sep)[0];
      byGroup.set(group, (byGroup.get(group) ?? 0) + m.renderedLength);
    }
    const snapshotPath = path.join(ROOT, 'lib', 'workflow', 'templates-snapshot.json');
    const snapshotGz = fs.existsSync(snapshotPath)
      ? zlib.gzipSync(JSON.stringify(JSON.parse(fs.readFileSync(snapshotPath, 'utf8'))), { level: 9 }).length
      : 0;
    const total = [...byGroup.values()].reduce((a, b) => a + b, 0);
    const breakdown: Record<string, string | number> = {};
    [...byGroup.entries()]
      .sort((a, b) => b[1] - a[1])
      .forEach(([g, n]) => (breakdown[`${g} (rendered)`] = `${(n / 1024).toFixed(1)} kB, ${Math.round((100 * n) / total)}%`));
    const ratio = ours.gzipped / anchor.gzipped;
    return [
      {
        name: 'core entry (dist/index.mjs) minified + gzipped',
        baseline: '@saintno/comfyui-sdk index.esm.js, same treatment',
        value: exactly(ratio),
        unit: 'ratio',
        goal: '< 1.0x (smaller)',
        met: ratio < 1,
        info: {
          'ours bytes (min+gz)': ours.gzipped,
          'ours bytes (min)': ours.minified,
          'anchor bytes (min+gz)': anchor.gzipped,
          'anchor bytes (min)': anchor.minified,
          'templates snapshot alone (min+gz)': snapshotGz,
          'ours without the snapshot, estimate (min+gz)': ours.gzipped - snapshotGz,
          ...breakdown,
        },
      },
      {
        name: 'what an app that loads, edits and runs a workflow ships of ours, tree-shaken, minified + gzipped',
        baseline: '@saintno/comfyui-sdk index.esm.js, same treatment',
        value: exactly(app.gzipped / anchor.gzipped),
        unit: 'ratio',
        goal: 'report',
        met: true,
        info: { 'app bytes (min+gz)': app.gzipped, 'app bytes (min)': app.minified, imports: 'Workflow, setInput, createClient, progressOf' },
      },
    ];
  },
};
