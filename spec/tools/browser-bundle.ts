// Bundles an app as a browser bundler does (rollup with @rollup/plugin-node-resolve in browser mode
// and @rollup/plugin-commonjs): packages resolved through their `browser` export condition and
// `browser` field, every dependency bundled in, `process.env.NODE_ENV` set to production. Used by
// the package test (is the offline templates' absence real?) and the bundle figure of the bench.
import * as path from 'path';

/** What one module of the bundle contributed. */
export interface BundledModule {
  readonly id: string;
  readonly code: string;
}

/** One chunk of a browser bundle: the app's entry, or a lazy chunk it imports on demand. */
export interface BrowserChunk {
  readonly fileName: string;
  readonly isEntry: boolean;
  readonly code: string;
  readonly modules: readonly BundledModule[];
}

const ROOT = path.resolve(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(name: string): T => require(path.join(ROOT, 'node_modules', name)) as T;

interface RollupChunkLike {
  readonly type: 'chunk' | 'asset';
  readonly fileName: string;
  readonly isEntry?: boolean;
  readonly code?: string;
  readonly modules?: Readonly<Record<string, { readonly code: string | null }>>;
}
interface RollupLike {
  rollup(options: unknown): Promise<{ generate(o: unknown): Promise<{ output: readonly RollupChunkLike[] }>; close(): Promise<void> }>;
}

/**
 * Bundles the app whose entry module is `entryFile` as a browser app; packages resolve from the
 * node_modules above it. `plugins` come first; `external` leaves the modules it names out (for a
 * package's own code without its dependencies).
 */
export const bundleForBrowser = async (entryFile: string, plugins: readonly unknown[] = [], options: { readonly external?: (id: string) => boolean } = {}): Promise<BrowserChunk[]> => {
  const { rollup } = load<RollupLike>('rollup');
  const { nodeResolve } = load<{ nodeResolve: (o: unknown) => unknown }>('@rollup/plugin-node-resolve');
  const commonjs = load<(o?: unknown) => unknown>('@rollup/plugin-commonjs');
  const json = load<(o?: unknown) => unknown>('@rollup/plugin-json');
  // What every browser bundler does for libraries that read it (immer).
  const production = {
    name: 'node-env-production',
    transform: (code: string) => (code.includes('process.env.NODE_ENV') ? { code: code.split('process.env.NODE_ENV').join('"production"'), map: null } : null),
  };
  const bundle = await rollup({
    input: entryFile,
    external: options.external,
    plugins: [...plugins, nodeResolve({ browser: true, extensions: ['.mjs', '.js', '.json'] }), commonjs(), json({ preferConst: true, compact: true }), production],
    onwarn: () => undefined,
  });
  try {
    const { output } = await bundle.generate({ format: 'es' });
    return output
      .filter((o): o is RollupChunkLike & { code: string } => o.type === 'chunk' && typeof o.code === 'string')
      .map((o) => ({
        fileName: o.fileName,
        isEntry: o.isEntry === true,
        code: o.code,
        modules: Object.entries(o.modules ?? {}).map(([id, m]) => ({ id, code: m.code ?? '' })),
      }));
  } finally {
    await bundle.close();
  }
};
