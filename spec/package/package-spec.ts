// The package as users get it: one build, one `npm pack`, the tarball installed into a fresh
// project; each entry point is imported as ESM, required as CJS and compiled against its bundled
// .d.ts. The core bundle must import nothing from Node, so browser bundlers accept it.
import { execFile } from 'child_process';
import { builtinModules } from 'module';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const ENTRIES = [
  { spec: 'invokeai-rx', names: ['Workflow', 'listInputs', 'setInput', 'createClient', 'ofType', 'buildBatch'] },
  { spec: 'invokeai-rx/node', names: ['loadWorkflowFile', 'saveOutputs', 'uploadImageFile'] },
  { spec: 'invokeai-rx/testing', names: ['startMockServer'] },
  { spec: 'invokeai-rx/bullmq', names: ['createRunWorker', 'runJobProcessor', 'runJobEvents', 'runJobData'] },
] as const;

interface Exec {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
const exec = (file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Exec> =>
  new Promise((resolve) =>
    execFile(file, [...args], { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    ),
  );
const npm = (args: readonly string[], cwd: string) => exec('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd, { npm_config_update_notifier: 'false' });
const node = (args: readonly string[], cwd: string) => exec(process.execPath, args, cwd);

/** The module specifiers a bundle imports, statically or dynamically (ESM `import`, `export ... from`, `require`). */
export const importedSpecifiers = (code: string): string[] => {
  const found = new Set<string>();
  const patterns = [/\bimport\s*(?:[\w*\s{},$]+from\s*)?['"]([^'"]+)['"]/g, /\bexport\s*[\w*\s{},$]*from\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const p of patterns) for (const m of code.matchAll(p)) found.add(m[1]);
  return [...found].sort();
};

const isNodeBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

let work: string;
let app: string;
let installLog = '';
let installMode: 'npm install' | 'unpacked' = 'npm install';
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-pack-'));
  const build = await npm(['run', 'build'], ROOT);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  // --ignore-scripts: `prepare` would build a second time.
  const pack = await npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const tgz = path.join(work, pack.stdout.trim().split('\n').pop()!);
  app = path.join(work, 'app');
  await fs.mkdir(app);
  await fs.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  // A real install, as a user's: the npm cache first, the registry for what it lacks. Only when the
  // registry cannot be reached, unpack the tarball and borrow this project's node_modules instead
  // (the dependency declarations are then checked by a test of their own).
  // bullmq (and its Redis driver) is an optional peer: an app that imports invokeai-rx/bullmq installs it.
  const install = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tgz, 'bullmq', 'ioredis'], app);
  installLog = `${install.stdout}\n${install.stderr}`;
  if (install.code !== 0) {
    const pkg = path.join(app, 'node_modules/invokeai-rx');
    await fs.mkdir(pkg, { recursive: true });
    const untar = await exec('tar', ['-xzf', tgz, '-C', pkg, '--strip-components=1'], app);
    if (untar.code !== 0) throw new Error(`installing the tarball failed:\n${installLog}\nand unpacking it failed too:\n${untar.stderr}`);
    await fs.symlink(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    installMode = 'unpacked';
  }
}, 600_000);
afterAll(async () => {
  if (installMode !== 'npm install') console.warn(`The tarball was unpacked, not installed (npm install failed):\n${installLog}`);
  if (work) await fs.rm(work, { recursive: true, force: true });
});

it('ships dist only, with the bin and the simulator data', async () => {
  const pkg = path.join(app, 'node_modules/invokeai-rx');
  const files = await fs.readdir(path.join(pkg, 'dist'));
  expect(files).toEqual(
    expect.arrayContaining(['index.mjs', 'index.cjs', 'index.d.ts', 'node.mjs', 'node.cjs', 'node.d.ts', 'testing.mjs', 'testing.cjs', 'testing.d.ts', 'bullmq.mjs', 'bullmq.cjs', 'bullmq.d.ts', 'cli.cjs', 'data']),
  );
  expect(await fs.readdir(pkg)).not.toContain('lib');
  const manifest = JSON.parse(await fs.readFile(path.join(pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const cli = await node([path.join(pkg, manifest.bin['invokeai-rx']), '--help'], app);
  expect(cli.stdout).toContain('Usage: invokeai-rx <command>');
});

describe.each(ENTRIES)('$spec', ({ spec, names }) => {
  it('imports as an ES module', async () => {
    const script = `import * as m from '${spec}'; console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`;
    const r = await node(['--input-type=module', '-e', script], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(names.map((n) => (n === 'Workflow' ? 'object' : 'function')));
  });

  it('requires as CommonJS', async () => {
    const script = `const m = require('${spec}'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`;
    const r = await node(['-e', script], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(names.map((n) => (n === 'Workflow' ? 'object' : 'function')));
  });
});

it('compiles TypeScript against the bundled .d.ts of every entry point', async () => {
  const src = path.join(app, 'src');
  await fs.mkdir(src, { recursive: true });
  await fs.writeFile(
    path.join(src, 'use.ts'),
    [
      "import { Workflow, listInputs, setInput, createClient, ofType, type RunEvent, type WorkflowInput, type InvokeAIClient } from 'invokeai-rx';",
      "import { loadWorkflowFile, saveOutputs } from 'invokeai-rx/node';",
      "import { startMockServer, type MockServer } from 'invokeai-rx/testing';",
      "import { createRunWorker, runJobData, type RunJobResult } from 'invokeai-rx/bullmq';",
      'export async function use(): Promise<number> {',
      '  const server: MockServer = await startMockServer({ stepMs: 1 });',
      '  const client: InvokeAIClient = createClient({ baseUrl: server.url });',
      "  const wf = setInput(0, 'a prompt')(await loadWorkflowFile('wf.json'));",
      '  const inputs: readonly WorkflowInput[] = listInputs(wf);',
      "  client.run(wf).pipe(ofType('completed')).subscribe((e) => e.outputs.length);",
      '  const result = await client.submit(wf);',
      "  const files: readonly string[] = await saveOutputs(client, result, 'out');",
      '  const roundTrip: string = Workflow.toJson(wf);',
      '  const ev: RunEvent | undefined = undefined;',
      '  // @ts-expect-error: a Workflow is immutable',
      '  wf.json = wf.json;',
      "  const worker = createRunWorker('images', { runner: client, worker: { connection: { host: '127.0.0.1', port: 6379 }, autorun: false } });",
      "  const data = runJobData(wf, { options: { runs: 2 } });",
      '  const done: RunJobResult | undefined = undefined;',
      '  await worker.close();',
      '  await server.close();',
      '  return (done === undefined ? 0 : 1) + data.toString().length + inputs.length + files.length + roundTrip.length + (ev === undefined ? 0 : 1);',
      '}',
    ].join('\n'),
  );
  await fs.writeFile(
    path.join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: 'ES2020', module: 'node16', moduleResolution: 'node16', lib: ['ES2020', 'DOM'], types: [], typeRoots: [path.join(ROOT, 'node_modules/@types')], skipLibCheck: false },
      include: ['src'],
    }),
  );
  const r = await node([path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--types', 'node'], app);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 120_000);

it('keeps Node out of the core bundle: dist/index.mjs imports no Node module', async () => {
  const code = await fs.readFile(path.join(ROOT, 'dist/index.mjs'), 'utf8');
  const specs = importedSpecifiers(code);
  expect(specs.length).toBeGreaterThan(0);
  expect(specs.filter(isNodeBuiltin)).toEqual([]);
  // And the detector does find Node imports where they are.
  expect(importedSpecifiers(await fs.readFile(path.join(ROOT, 'dist/node.mjs'), 'utf8')).filter(isNodeBuiltin)).toEqual(expect.arrayContaining(['fs', 'path']));
});

it('declares every package its bundles import as a dependency', async () => {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
  const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
  const missing: string[] = [];
  for (const file of ['index.mjs', 'node.mjs', 'testing.mjs', 'bullmq.mjs', 'cli.cjs']) {
    const code = await fs.readFile(path.join(ROOT, 'dist', file), 'utf8');
    // Doc comments name the package itself in their examples.
    for (const spec of importedSpecifiers(code).filter((s) => !isNodeBuiltin(s) && !s.startsWith('.') && !s.startsWith('invokeai-rx'))) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!declared.has(name)) missing.push(`${file}: ${name}`);
    }
  }
  expect([...new Set(missing)]).toEqual([]);
});

it('shares one core between the entry points: what invokeai-rx/node makes, invokeai-rx recognises', async () => {
  // A legacy (schema 1.x) workflow: loading it migrates it and records warnings on the value.
  await fs.copyFile(path.join(ROOT, 'spec/fixtures/workflows-legacy/v1-text-to-image.json'), path.join(app, 'v1.json'));
  await fs.writeFile(path.join(app, 'not-a-workflow.json'), JSON.stringify({ name: 'x', nodes: 3 }));
  const script = [
    "const core = require('invokeai-rx');",
    "const node = require('invokeai-rx/node');",
    '(async () => {',
    "  const direct = core.Workflow.fromJson(require('fs').readFileSync('v1.json', 'utf8'));",
    "  const loaded = await node.loadWorkflowFile('v1.json');",
    "  let decodeErrorIsCore = null;",
    "  try { await node.loadWorkflowFile('not-a-workflow.json'); } catch (e) { const d = e instanceof core.WorkflowDecodeError ? e : e.cause; decodeErrorIsCore = d instanceof core.WorkflowDecodeError; }",
    '  console.log(JSON.stringify({ direct: core.workflowWarnings(direct).length, loaded: core.workflowWarnings(loaded).length, decodeErrorIsCore }));',
    '})();',
  ].join('\n');
  const r = await node(['-e', script], app);
  expect(r.stderr).toBe('');
  const seen = JSON.parse(r.stdout) as { direct: number; loaded: number; decodeErrorIsCore: boolean };
  expect(seen.direct).toBeGreaterThan(0);
  expect(seen).toEqual({ direct: seen.direct, loaded: seen.direct, decodeErrorIsCore: true });
});
