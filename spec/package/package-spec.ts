// The package as users get it: one build, one `npm pack`, the tarball installed into a fresh
// project; each entry point is imported as ESM, required as CJS and compiled against its bundled
// .d.ts, and @arethetypeswrong/cli checks its types under every module resolution. The core bundle
// must import nothing from Node, so browser bundlers accept it. The simulator's dependencies are
// optional peers: first the app has none of them, then it installs them as the README says.
import { execFile } from 'child_process';
import { builtinModules } from 'module';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startMockServer, type MockServer } from '../../lib/testing';
import { codeBlocks, isTypeScript, outputMatches, type MarkdownBlock } from '../docs/blocks';
import { bundleForBrowser } from '../tools/browser-bundle';

const ROOT = path.resolve(__dirname, '../..');
const ENTRIES = [
  { spec: 'invokeai-rx', names: ['Workflow', 'listInputs', 'setInput', 'createClient', 'ofType', 'buildBatch', 'typedWorkflow'] },
  { spec: 'invokeai-rx/templates', names: ['templates'] },
  { spec: 'invokeai-rx/node', names: ['loadWorkflowFile', 'saveOutputs', 'uploadImageFile', 'codegen', 'generateWorkflowModule'] },
  { spec: 'invokeai-rx/testing', names: ['startMockServer'] },
] as const;
/** The exports that are values, not functions. */
const OBJECTS: ReadonlySet<string> = new Set(['Workflow', 'templates']);
/** The dist names of the entry points. */
const ENTRY_FILES = ['index', 'templates', 'node', 'testing', 'bullmq'];
/** The entry of run workers on Redis, which needs the optional peer bullmq (and its Redis driver). */
const BULLMQ_ENTRY = { spec: 'invokeai-rx/bullmq', names: ['createRunWorker', 'runJobProcessor', 'runJobEvents', 'runJobData'] } as const;
const BULLMQ_PEERS = ['bullmq', 'ioredis'];

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
/**
 * Writes the TypeScript project `config` in `dir` (strict, node16, Node's types from this project's
 * @types, unless `compilerOptions` says otherwise) and compiles it with this project's tsc.
 */
const compile = async (dir: string, config: string, compilerOptions: Readonly<Record<string, unknown>>, include?: readonly string[]): Promise<Exec> => {
  const defaults = { strict: true, target: 'ES2020', module: 'node16', moduleResolution: 'node16', lib: ['ES2020', 'DOM'], types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')], skipLibCheck: false };
  await fs.writeFile(path.join(dir, config), JSON.stringify({ compilerOptions: { ...defaults, ...compilerOptions }, ...(include === undefined ? {} : { include }) }));
  return node([path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], dir);
};

/** The module specifiers a bundle imports, statically or dynamically (ESM `import`, `export ... from`, `require`). */
export const importedSpecifiers = (code: string): string[] => {
  const found = new Set<string>();
  // The keywords themselves: not a property or a string that spells them (`values["import"]`, minified).
  const kw = (word: string) => `(?<![\\w$.'"])${word}(?![\\w$])`;
  const patterns = [
    new RegExp(`${kw('import')}\\s*(?:[\\w*\\s{},$]+from\\s*)?['"]([^'"]+)['"]`, 'g'),
    new RegExp(`${kw('export')}\\s*[\\w*\\s{},$]*from\\s*['"]([^'"]+)['"]`, 'g'),
    new RegExp(`${kw('import')}\\s*\\(\\s*['"]([^'"]+)['"]\\s*\\)`, 'g'),
    new RegExp(`${kw('require')}\\s*\\(\\s*['"]([^'"]+)['"]\\s*\\)`, 'g'),
  ];
  for (const p of patterns) for (const m of code.matchAll(p)) found.add(m[1]);
  return [...found].sort();
};

const isNodeBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]);

/** The simulator's optional peer dependencies (`invokeai-rx/testing` only). */
const TESTING_PEERS = ['socket.io', 'pngjs'];

let work: string;
let app: string;
let tgz: string;
let unpackedSize = 0;
let installLog = '';
let installMode: 'npm install' | 'unpacked' = 'npm install';
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-pack-'));
  const build = await npm(['run', 'build'], ROOT);
  if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stderr}`);
  // --ignore-scripts: `prepare` would build a second time.
  const pack = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; unpackedSize: number }>;
  tgz = path.join(work, packed.filename);
  unpackedSize = packed.unpackedSize;
  app = path.join(work, 'app');
  await fs.mkdir(app);
  await fs.writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }));
  // A real install, as a user's: the npm cache first, the registry for what it lacks. Only when the
  // registry cannot be reached, unpack the tarball and borrow this project's packages instead, but
  // the simulator's (the dependency declarations are then checked by a test of their own).
  const install = await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', tgz], app);
  installLog = `${install.stdout}\n${install.stderr}`;
  if (install.code !== 0) {
    const pkg = path.join(app, 'node_modules/invokeai-rx');
    await fs.mkdir(pkg, { recursive: true });
    const untar = await exec('tar', ['-xzf', tgz, '-C', pkg, '--strip-components=1'], app);
    if (untar.code !== 0) throw new Error(`installing the tarball failed:\n${installLog}\nand unpacking it failed too:\n${untar.stderr}`);
    await fs.mkdir(path.join(pkg, 'node_modules'));
    for (const name of await fs.readdir(path.join(ROOT, 'node_modules'))) {
      if (!TESTING_PEERS.includes(name) && !name.startsWith('.')) await fs.symlink(path.join(ROOT, 'node_modules', name), path.join(pkg, 'node_modules', name), 'dir');
    }
    installMode = 'unpacked';
  }
}, 600_000);

/** Installs the simulator's optional peers into the app, as the missing-peer message says (once; the tests before it see the app without them). */
let peersInstalled: Promise<void> | undefined;
const installTestingPeers = (): Promise<void> => (peersInstalled ??= installPeersNow());
const installPeersNow = async (): Promise<void> => {
  if (installMode === 'npm install') {
    const r = await npm(['install', '--prefer-offline', '--save-dev', ...TESTING_PEERS], app);
    if (r.code !== 0) throw new Error(`npm install ${TESTING_PEERS.join(' ')} failed:\n${r.stderr}`);
    return;
  }
  for (const name of TESTING_PEERS) await fs.symlink(path.join(ROOT, 'node_modules', name), path.join(app, 'node_modules/invokeai-rx/node_modules', name), 'dir');
};
afterAll(async () => {
  if (installMode !== 'npm install') console.warn(`The tarball was unpacked, not installed (npm install failed):\n${installLog}`);
  if (work) await fs.rm(work, { recursive: true, force: true });
});

it('ships dist, the LICENSE and the README, with the bin and the compacted node schemas, in at most 1.5 MB unpacked', async () => {
  const pkg = path.join(app, 'node_modules/invokeai-rx');
  const files = await fs.readdir(path.join(pkg, 'dist'));
  const entries = ENTRY_FILES.flatMap((n) => [`${n}.mjs`, `${n}.cjs`, `${n}.d.cts`, `${n}.d.mts`]);
  const defaults = ['default-templates', 'no-default-templates'].flatMap((n) => [`${n}.mjs`, `${n}.cjs`]);
  expect(files).toEqual(expect.arrayContaining([...entries, ...defaults, 'cli.cjs', 'data']));
  expect(await fs.readdir(path.join(pkg, 'dist/data'))).toEqual(['node-schemas.json.gz']);
  expect((await fs.readdir(pkg)).sort()).toEqual(['LICENSE', 'README.md', 'dist', 'package.json', ...(installMode === 'unpacked' ? ['node_modules'] : [])]);
  expect(unpackedSize).toBeGreaterThan(100_000);
  expect(unpackedSize).toBeLessThanOrEqual(1_500_000);
  const manifest = JSON.parse(await fs.readFile(path.join(pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const cli = await node([path.join(pkg, manifest.bin['invokeai-rx']), '--help'], app);
  expect(cli.stdout).toContain('Usage: invokeai-rx <command>');
});

it('says where it comes from: Apache-2.0 in the manifest and in LICENSE, the repository, homepage and issue tracker', async () => {
  const pkg = path.join(app, 'node_modules/invokeai-rx');
  const manifest = JSON.parse(await fs.readFile(path.join(pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest['license']).toBe('Apache-2.0');
  expect(await fs.readFile(path.join(pkg, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  const repository = (manifest['repository'] as { url: string }).url;
  expect(repository).toMatch(/^git\+https:\/\/github\.com\/[\w-]+\/[\w-]+\.git$/);
  const web = repository.replace(/^git\+/, '').replace(/\.git$/, '');
  expect(manifest['homepage']).toBe(`${web}#readme`);
  expect(manifest['bugs']).toEqual({ url: `${web}/issues` });
});

it('installs rxjs as a peer and nothing of the simulator (socket.io, pngjs, @types/node) for an app that does not test with it', async () => {
  const manifest = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['bullmq', 'pngjs', 'rxjs', 'socket.io']);
  expect(manifest.peerDependenciesMeta).toEqual({ 'socket.io': { optional: true }, pngjs: { optional: true }, bullmq: { optional: true } });
  for (const name of ['rxjs', ...TESTING_PEERS, ...BULLMQ_PEERS]) expect(manifest.dependencies).not.toHaveProperty(name);
  const installed = (p: string) => fs.access(path.join(app, 'node_modules', p)).then(() => true, () => false);
  if (installMode === 'npm install') {
    expect(await installed('rxjs')).toBe(true);
    expect(await installed('@types/node')).toBe(false);
  }
  for (const name of [...TESTING_PEERS, ...BULLMQ_PEERS]) expect(await installed(name)).toBe(false);
});

it('without the simulator\'s peers, invokeai-rx/testing still imports, and starting a server says in one line what to install', async () => {
  const expected = 'MissingPeerError: invokeai-rx/testing needs socket.io (an optional peer dependency, for the simulated server): npm install --save-dev socket.io pngjs';
  const report = "(e) => console.log(e.name + ': ' + e.message)";
  const esm = await node(['--input-type=module', '-e', `import { startMockServer } from 'invokeai-rx/testing'; await startMockServer().catch(${report});`], app);
  const cjs = await node(['-e', `require('invokeai-rx/testing').startMockServer().catch(${report});`], app);
  expect([esm.stdout, esm.stderr]).toEqual([`${expected}\n`, '']);
  expect([cjs.stdout, cjs.stderr]).toEqual([`${expected}\n`, '']);
  const sim = await node([path.join(app, 'node_modules/invokeai-rx/dist/cli.cjs'), 'sim', '--port', '0'], app);
  expect(sim).toEqual({ code: 1, stdout: '', stderr: `${expected}\n` });
});

it('has types that resolve under node10, node16 (from CJS and from ESM) and bundler: @arethetypeswrong/cli finds no problem', async () => {
  const r = await exec(process.execPath, [path.join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tgz, '--format', 'json'], work);
  if (r.stdout.trim() === '') throw new Error(`attw printed no report (exit ${r.code}):\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as { analysis: { problems: unknown[]; entrypoints: Record<string, { resolutions: Record<string, { resolution?: { fileName: string } }> }> } };
  expect(report.analysis.problems).toEqual([]);
  const entrypoints = report.analysis.entrypoints;
  expect(Object.keys(entrypoints)).toEqual(['.', './templates', './node', './testing', './bullmq', './package.json']);
  for (const name of ['.', './templates', './node', './testing', './bullmq']) {
    const resolutions = entrypoints[name].resolutions;
    expect(Object.keys(resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
    for (const kind of Object.keys(resolutions)) expect(resolutions[kind].resolution?.fileName).toMatch(/\.d\.[cm]ts$/);
  }
}, 120_000);

it('names every type once in the published .d.cts: no `Workflow$1`-style renames in hovers', async () => {
  for (const name of ENTRY_FILES) {
    const dts = await fs.readFile(path.join(app, 'node_modules/invokeai-rx/dist', `${name}.d.cts`), 'utf8');
    expect(dts.match(/\b[A-Za-z_]\w*\$\d+\b/g) ?? []).toEqual([]);
    // The templates entry declares one constant, typed with the core's NodeTemplates.
    if (name === 'templates') expect(dts).toContain("import { NodeTemplates } from 'invokeai-rx'");
    else expect(dts).toContain('interface ');
  }
});

describe.each(ENTRIES)('$spec', ({ spec, names }) => {
  it('imports as an ES module', async () => {
    const script = `import * as m from '${spec}'; console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`;
    const r = await node(['--input-type=module', '-e', script], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(names.map((n) => (OBJECTS.has(n) ? 'object' : 'function')));
  });

  it('requires as CommonJS', async () => {
    const script = `const m = require('${spec}'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`;
    const r = await node(['-e', script], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(names.map((n) => (OBJECTS.has(n) ? 'object' : 'function')));
  });
});

it('compiles TypeScript against the bundled .d.ts of all three entry points', async () => {
  const src = path.join(app, 'src');
  await fs.mkdir(src, { recursive: true });
  await fs.writeFile(
    path.join(src, 'use.ts'),
    [
      "import { Workflow, listInputs, setInput, createClient, ofType, type RunEvent, type WorkflowInput, type InvokeAIClient } from 'invokeai-rx';",
      "import { loadWorkflowFile, saveOutputs } from 'invokeai-rx/node';",
      "import { startMockServer, type MockServer } from 'invokeai-rx/testing';",
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
      '  await server.close();',
      '  return inputs.length + files.length + roundTrip.length + (ev === undefined ? 0 : 1);',
      '}',
    ].join('\n'),
  );
  const r = await compile(app, 'tsconfig.json', { noEmit: true }, ['src']);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 120_000);

it('codegen with the installed bin: the module compiles against the bundled .d.ts, tsc refuses a typo, and it runs', async () => {
  // It runs against the simulated server, as an app's tests would.
  await installTestingPeers();
  const pkg = path.join(app, 'node_modules/invokeai-rx');
  await fs.copyFile(path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SDXL.json'), path.join(app, 'Text to Image - SDXL.json'));
  const gen = await node([path.join(pkg, 'dist/cli.cjs'), 'codegen', 'Text to Image - SDXL.json', '--out', 'typed/workflows'], app);
  expect(gen.stderr).toBe('');
  expect(gen.stdout).toMatch(/^wrote typed\/workflows\/text-to-image-sdxl\.ts \(textToImageSdxl: 5 inputs/);
  await fs.writeFile(
    path.join(app, 'typed/use.ts'),
    [
      "import { createClient, models } from 'invokeai-rx';",
      "import { startMockServer } from 'invokeai-rx/testing';",
      "import { textToImageSdxl as t2i } from './workflows/text-to-image-sdxl';",
      'async function main(): Promise<void> {',
      '  const server = await startMockServer({ stepMs: 1 });',
      '  const client = createClient({ baseUrl: server.url });',
      '  const installed = await models(client).list();',
      "  // @ts-expect-error: a label the workflow does not have",
      "  const typo = () => t2i.set({ 'Positive Promt': 'a fox' });",
      "  // @ts-expect-error: the models are required and have no value yet",
      '  const early = () => client.submit(t2i.workflow);',
      "  const ready = t2i.set({ 'Positive Prompt': 'a fox', Model: t2i.modelsFor('Model', installed)[0], 3: t2i.modelsFor(3, installed).filter((m) => m.base === 'sdxl')[0] });",
      '  const result = await ready.submit(client);',
      "  console.log(JSON.stringify([typeof typo, typeof early, ...result.items.map((i) => i.byOutput['Latents to Image - SD1.5, SDXL'].images.length)]));",
      '  client.close();',
      '  await server.close();',
      '}',
      'void main();',
    ].join('\n'),
  );
  const tsc = await compile(app, 'tsconfig.typed.json', { outDir: 'typed-build' }, ['typed']);
  expect(tsc.stdout + tsc.stderr).toBe('');
  const run = await node(['typed-build/use.js'], app);
  expect(run.stderr).toBe('');
  expect(JSON.parse(run.stdout)).toEqual(['function', 'function', 1]);
}, 300_000);

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
  for (const file of [...ENTRY_FILES.map((n) => `${n}.mjs`), 'cli.cjs']) {
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

describe('the README\'s Quick Start, unchanged, against the installed package', () => {
  let server: MockServer;
  let quickStart: MarkdownBlock;
  let printed: string;
  const run = (file: string, cwd: string) => exec(process.execPath, [file], cwd, { INVOKEAI_URL: server.url });
  /** The Quick Start uses top-level await. */
  const es2022 = { target: 'ES2022', lib: ['ES2022', 'DOM'] };
  /** The folder a user would put it in: the exported workflow beside it. */
  const folder = async (name: string): Promise<string> => {
    const dir = path.join(app, name);
    await fs.mkdir(dir, { recursive: true });
    await fs.copyFile(path.join(ROOT, 'demos/workflows/Text to Image - SDXL.json'), path.join(dir, 'Text to Image - SDXL.json'));
    return dir;
  };

  beforeAll(async () => {
    server = await startMockServer({ stepMs: 1, steps: 3 });
    const blocks = codeBlocks('README.md', await fs.readFile(path.join(ROOT, 'README.md'), 'utf8'));
    const index = blocks.findIndex(isTypeScript);
    quickStart = blocks[index]!;
    printed = blocks[index + 1]!.directive.kind === 'prints' ? blocks[index + 1]!.code : '';
  });
  afterAll(() => server?.close());

  it('is the README\'s first TypeScript block, and says what it prints', () => {
    expect(quickStart.code).toContain("await loadWorkflowFile('Text to Image - SDXL.json')");
    expect(quickStart.code).not.toContain('fp-ts');
    expect(printed).toContain('4 Board board');
  });

  it('runs as quickstart.mjs in plain Node, printing what the README shows', async () => {
    const dir = await folder('mjs');
    await fs.writeFile(path.join(dir, 'quickstart.mjs'), quickStart.code);
    const r = await run('quickstart.mjs', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(outputMatches(printed, r.stdout) ? printed : r.stdout).toBe(printed);
    expect((await fs.readdir(path.join(dir, 'out'))).filter((f) => f.endsWith('.png'))).toHaveLength(2);
  }, 120_000);

  it('compiles as TypeScript with node16 resolution (quickstart.mts), and the output runs', async () => {
    const dir = await folder('ts-node16');
    await fs.writeFile(path.join(dir, 'quickstart.mts'), quickStart.code);
    const compiled = await compile(dir, 'tsconfig.json', { ...es2022, outDir: 'build' });
    expect(compiled.stdout + compiled.stderr).toBe('');
    const r = await run(path.join('build', 'quickstart.mjs'), dir);
    expect(r.stderr).toBe('');
    expect(outputMatches(printed, r.stdout) ? printed : r.stdout).toBe(printed);
  }, 120_000);

  it('compiles as TypeScript with bundler resolution (quickstart.ts)', async () => {
    const dir = await folder('ts-bundler');
    await fs.writeFile(path.join(dir, 'quickstart.ts'), `${quickStart.code}\nexport {};\n`);
    const compiled = await compile(dir, 'tsconfig.json', { ...es2022, module: 'ESNext', moduleResolution: 'bundler', noEmit: true });
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
  }, 120_000);
});

it('with socket.io and pngjs installed as the missing-peer message says, invokeai-rx/testing starts its server (ESM and CJS)', async () => {
  await installTestingPeers();
  const start = "(m) => m.startMockServer().then(async (s) => { const r = await fetch(s.url + '/api/v1/app/version'); console.log(r.status); await s.close(); })";
  const esm = await node(['--input-type=module', '-e', `import * as m from 'invokeai-rx/testing'; await (${start})(m);`], app);
  const cjs = await node(['-e', `(${start})(require('invokeai-rx/testing'));`], app);
  expect([esm.stdout, esm.stderr]).toEqual(['200\n', '']);
  expect([cjs.stdout, cjs.stderr]).toEqual(['200\n', '']);
}, 300_000);

describe('a browser bundle of an app (the package\'s browser condition and field, as bundlers read them)', () => {
  // A template title that only the offline snapshot holds: its presence in a bundle shows they were bundled.
  const SNAPSHOT_MARK = 'Denoise - SD1.5, SDXL';
  const browserApp = async (name: string, lines: readonly string[]): Promise<{ code: string; run: Exec }> => {
    const text = await fs.readFile(path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SDXL.json'), 'utf8');
    const entry = path.join(app, `${name}.mjs`);
    await fs.writeFile(entry, [`const text = ${JSON.stringify(text)};`, ...lines].join('\n'));
    const chunks = await bundleForBrowser(entry);
    const code = chunks.filter((c) => c.isEntry).map((c) => c.code).join('\n');
    const bundled = path.join(app, `${name}.bundle.mjs`);
    await fs.writeFile(bundled, code);
    return { code, run: await node([bundled], app) };
  };

  it('ships no offline templates when the app does not import them; a workflow then loads only with templates given', async () => {
    const { code, run } = await browserApp('lean', [
      "import { Workflow } from 'invokeai-rx';",
      'try { Workflow.fromJson(text); } catch (e) { console.log(e.name); console.log(e.message); }',
    ]);
    expect(code).not.toContain(SNAPSHOT_MARK);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('WorkflowDecodeError');
    expect(run.stdout).toContain("import { templates } from 'invokeai-rx/templates'");
  }, 120_000);

  it('ships them, and types with them, when the app imports invokeai-rx/templates', async () => {
    const { code, run } = await browserApp('offline', [
      "import { Workflow, listInputs } from 'invokeai-rx';",
      "import { templates } from 'invokeai-rx/templates';",
      "console.log(listInputs(Workflow.fromJson(text, { templates })).map((i) => i.kind).join(','));",
    ]);
    expect(code).toContain(SNAPSHOT_MARK);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split(',')).toContain('string');
  }, 120_000);

  it('in Node, the offline templates stay the default', async () => {
    await fs.copyFile(path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SDXL.json'), path.join(app, 'sdxl.json'));
    const script = "const { Workflow, listInputs } = require('invokeai-rx'); console.log(listInputs(Workflow.fromJson(require('fs').readFileSync('sdxl.json', 'utf8'))).length);";
    const esm = "import { Workflow, listInputs } from 'invokeai-rx'; import { readFileSync } from 'fs'; console.log(listInputs(Workflow.fromJson(readFileSync('sdxl.json', 'utf8'))).length);";
    const cjs = await node(['-e', script], app);
    const mjs = await node(['--input-type=module', '-e', esm], app);
    expect([cjs.stderr, mjs.stderr]).toEqual(['', '']);
    expect(Number(cjs.stdout)).toBeGreaterThan(0);
    expect(mjs.stdout).toBe(cjs.stdout);
  });
});

describe('invokeai-rx/bullmq, once the app installs bullmq', () => {
  beforeAll(async () => {
    if (installMode === 'npm install') {
      const r = await npm(['install', '--prefer-offline', ...BULLMQ_PEERS], app);
      if (r.code !== 0) throw new Error(`npm install ${BULLMQ_PEERS.join(' ')} failed:\n${r.stderr}`);
    }
    // Unpacked: the project's packages, bullmq among them, are linked already.
  }, 300_000);

  it('imports as an ES module and requires as CommonJS', async () => {
    const { spec, names } = BULLMQ_ENTRY;
    const esm = await node(['--input-type=module', '-e', `import * as m from '${spec}'; console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`], app);
    const cjs = await node(['-e', `const m = require('${spec}'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => typeof m[n])));`], app);
    for (const r of [esm, cjs]) {
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(names.map(() => 'function'));
    }
  });

  it('compiles TypeScript against its bundled .d.ts, with the core and bullmq types', async () => {
    await fs.mkdir(path.join(app, 'workers'), { recursive: true });
    await fs.writeFile(
      path.join(app, 'workers/worker.ts'),
      [
        "import { QueueEvents } from 'bullmq';",
        "import { createClient, type Workflow } from 'invokeai-rx';",
        "import { createRunWorker, runJobData, runJobEvents, type RunJobResult } from 'invokeai-rx/bullmq';",
        'export function start(wf: Workflow): () => Promise<void> {',
        "  const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });",
        "  const connection = { host: '127.0.0.1', port: 6379 };",
        "  const worker = createRunWorker('images', { runner: client, worker: { connection, autorun: false } });",
        "  const data = runJobData(wf, { options: { runs: 2 } });",
        "  const events = new QueueEvents('images', { connection, autorun: false });",
        "  runJobEvents(events).subscribe((e) => { if (e.type === 'completed') { const r: RunJobResult = e.result; console.log(r.items.length, data.options?.runs); } });",
        '  return async () => { await worker.close(); await events.close(); client.close(); };',
        '}',
      ].join('\n'),
    );
    const r = await compile(app, 'tsconfig.workers.json', { noEmit: true, skipLibCheck: true }, ['workers']);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 120_000);
});
