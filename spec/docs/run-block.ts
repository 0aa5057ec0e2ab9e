// Runs one code block of the docs against simulated InvokeAI servers, as a reader would run it,
// and answers what it printed.
//
// - A TypeScript block becomes the body of an async function (its imports stay on top, so
//   top-level await works); `invokeai-rx`, `invokeai-rx/node` and `invokeai-rx/testing` are this
//   project's lib/. The names the setup block defines (`client`, `wf`, `text`) are given to it, made
//   afresh for each block by running the setup block first; a block may define its own.
// - A shell block runs each `invokeai-rx` (or `npx invokeai-rx`) command line through the CLI's
//   `main`; any other command is not run here (such a block says `<!-- not run: why -->`).
// - Every server URL written in a block (`http://127.0.0.1:9090`, `http://gpu1:9090` ...) is a
//   simulated server of its own (127.0.0.1:9090 and localhost:9090 are the one the setup uses, and
//   INVOKEAI_URL points there); printed output shows the URLs as the block wrote them.
// - A block that names Redis's port, 6379, gets a real `redis-server` of its own on a free port,
//   which stands for it (`usesRedis`: such blocks need the redis-server peer). The BullMQ queues,
//   workers and queue events it makes are closed when it is done.
// - The block runs in a folder holding the files the docs name (the workflows of demos/workflows,
//   such as `Text to Image - SDXL.json`, the InvokeAI default workflows its code names, and
//   `photos/cat.png`, `photos/dog.png`); a module it imports from `./workflows/<name>` is the one
//   `invokeai-rx codegen` makes of the workflow file of that name, and is done when every run it started has ended (each client and pool it made is then
//   closed); one that never ends fails after a time limit.
import { promises as fs } from 'fs';
import * as path from 'path';
import * as util from 'util';
import { Observable, finalize } from 'rxjs';
import * as ts from 'typescript';
import type { CliIo } from '../../lib/cli/io';
import { startMockServer, type MockServer } from '../../lib/testing';
import { renderPng } from '../../lib/testing/png';
import { startRedis, type RedisServer } from '../../demos/lib/redis';
import { isTypeScript, type MarkdownBlock } from './blocks';

const ROOT = path.resolve(__dirname, '../..');

/** What the docs' own packages name, mapped to this project's sources. */
const PACKAGE_SOURCES: Readonly<Record<string, string>> = {
  'invokeai-rx': path.join(ROOT, 'lib/index.ts'),
  'invokeai-rx/node': path.join(ROOT, 'lib/node/index.ts'),
  'invokeai-rx/testing': path.join(ROOT, 'lib/testing/index.ts'),
  'invokeai-rx/bullmq': path.join(ROOT, 'lib/bullmq/index.ts'),
};

/** Redis's port, as the docs write it; a block that names it is given a redis-server of its own. */
const REDIS_PORT = /\b6379\b/g;

/** Whether a block needs a Redis server (it names port 6379). */
export const usesRedis = (block: MarkdownBlock): boolean => new RegExp(REDIS_PORT.source).test(block.code);

/** How long a block may take, its runs included, before the harness gives up on it and cleans up. */
const BLOCK_LIMIT_MS = 40_000;

/** The origins that are "your InvokeAI": the server the setup block's client talks to. */
const PRIMARY_ORIGINS = ['http://127.0.0.1:9090', 'http://localhost:9090'];

/** Where the workflow files a block may name come from: the ones that ship with the demos, then InvokeAI's own defaults. */
const WORKFLOW_DIRS = [path.join(ROOT, 'demos/workflows'), path.join(ROOT, 'spec/fixtures/default-workflows')];

/** The workflow file of a name, from the folders above. */
const workflowFile = async (name: string): Promise<string | undefined> => {
  for (const dir of WORKFLOW_DIRS) {
    const file = path.join(dir, name);
    if (await fs.stat(file).then((s) => s.isFile(), () => false)) return file;
  }
  return undefined;
};

/**
 * The files a block may read, made in its folder: the workflows that ship in demos/workflows, the
 * other workflow files its code names (InvokeAI's defaults), and two photos.
 */
export const prepareFolder = async (dir: string, code: string): Promise<void> => {
  const shipped = path.join(ROOT, 'demos/workflows');
  const named = [...code.matchAll(/["']([^"'\n/]+\.json)["']/g)].map((m) => m[1]!);
  for (const name of new Set([...(await fs.readdir(shipped)).filter((n) => n.endsWith('.json')), ...named])) {
    const file = await workflowFile(name);
    if (file !== undefined) await fs.copyFile(file, path.join(dir, name));
  }
  await fs.mkdir(path.join(dir, 'photos'), { recursive: true });
  await fs.writeFile(path.join(dir, 'photos/cat.png'), renderPng(64, 48, 'a cat'));
  await fs.writeFile(path.join(dir, 'photos/dog.png'), renderPng(48, 64, 'a dog'));
};

/**
 * A module `invokeai-rx codegen` makes, for a block that imports `./workflows/<name>`: generated
 * from the workflow file of that name (as `codegen --out workflows` would write it) into the
 * block's folder, importing the library from this project's sources.
 */
const generatedModule = async (dir: string, spec: string): Promise<string> => {
  const wanted = `${path.basename(spec)}.ts`;
  const { generateWorkflowModule } = require(path.join(ROOT, 'lib/codegen/generate.ts')) as typeof import('../../lib/codegen/generate');
  const { moduleFileName } = require(path.join(ROOT, 'lib/codegen/names.ts')) as typeof import('../../lib/codegen/names');
  const { Workflow } = require(PACKAGE_SOURCES['invokeai-rx']!) as typeof import('../../lib');
  for (const folder of WORKFLOW_DIRS) {
    for (const name of (await fs.readdir(folder)).filter((n) => n.endsWith('.json') && moduleFileName(n) === wanted)) {
      const m = generateWorkflowModule(Workflow.fromJson(await fs.readFile(path.join(folder, name), 'utf8')), { source: name, importFrom: PACKAGE_SOURCES['invokeai-rx']!.replace(/\.ts$/, '') });
      const file = path.join(dir, spec);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(`${file}.ts`, m.code);
      return `${file}.ts`;
    }
  }
  throw new Error(`no workflow file makes the module ${spec} (${wanted}) in demos/workflows or spec/fixtures/default-workflows`);
};

/** A block's printed output, and the servers it ran against (for what a test wants to check of them). */
export interface BlockRun {
  readonly output: string;
  readonly servers: ReadonlyMap<string, MockServer>;
}

/** Counts what a block has going: runs subscribed and not yet ended, clients and pools to close. */
interface Activity {
  running: number;
  readonly closers: Array<() => void>;
}

const tracked = <T>(activity: Activity, run$: Observable<T>): Observable<T> =>
  new Observable<T>((subscriber) => {
    activity.running++;
    return run$.pipe(finalize(() => activity.running--)).subscribe(subscriber);
  });

const trackedPromise = async <T>(activity: Activity, start: () => Promise<T>): Promise<T> => {
  activity.running++;
  try {
    return await start();
  } finally {
    activity.running--;
  }
};

/** The library's entry as a block sees it: clients and pools whose runs the harness can wait for. */
const instrumented = (core: Record<string, unknown>, activity: Activity): Record<string, unknown> => {
  type Runner = {
    run: (...a: unknown[]) => Observable<unknown>;
    submit: (...a: unknown[]) => Promise<unknown>;
    runMany: (...a: unknown[]) => Observable<unknown>;
    close: () => void;
  };
  const wrap = <C extends Runner>(made: C): C => {
    activity.closers.push(() => made.close());
    return Object.assign(Object.create(Object.getPrototypeOf(made) as object) as C, made, {
      run: (...a: unknown[]) => tracked(activity, made.run(...a)),
      submit: (...a: unknown[]) => trackedPromise(activity, () => made.submit(...a)),
      runMany: (...a: unknown[]) => tracked(activity, made.runMany(...a)),
    });
  };
  const createClient = core['createClient'] as (...a: unknown[]) => Runner;
  const createPool = core['createPool'] as (...a: unknown[]) => Runner;
  return { ...core, createClient: (...a: unknown[]) => wrap(createClient(...a)), createPool: (...a: unknown[]) => wrap(createPool(...a)) };
};

/** BullMQ as a block sees it: its queues, workers and queue events are closed when the block is done. */
const instrumentedBullmq = (bullmq: Record<string, unknown>, activity: Activity): Record<string, unknown> => {
  const closing = (Base: new (...a: never[]) => { close(): Promise<void> }) =>
    class extends Base {
      constructor(...a: never[]) {
        super(...a);
        activity.closers.push(() => void this.close().catch(() => undefined));
      }
    };
  return {
    ...bullmq,
    Queue: closing(bullmq['Queue'] as never),
    Worker: closing(bullmq['Worker'] as never),
    QueueEvents: closing(bullmq['QueueEvents'] as never),
  };
};

/** invokeai-rx/bullmq as a block sees it: the workers it makes are closed when the block is done. */
const instrumentedRunWorkers = (entry: Record<string, unknown>, activity: Activity): Record<string, unknown> => {
  const createRunWorker = entry['createRunWorker'] as (...a: unknown[]) => { close(): Promise<void> };
  return {
    ...entry,
    createRunWorker: (...a: unknown[]) => {
      const worker = createRunWorker(...a);
      activity.closers.push(() => void worker.close().catch(() => undefined));
      return worker;
    },
  };
};

/** A block's code as a CommonJS module exporting `__block(shared, console, process)`. */
const asModule = (block: MarkdownBlock, exportNames: readonly string[], urlOf: (origin: string) => string, redisPort: number | undefined): string => {
  const urls = block.code.replace(/https?:\/\/[A-Za-z0-9.-]+(:\d+)?/g, (origin) => urlOf(origin));
  const code = redisPort === undefined ? urls : urls.replace(REDIS_PORT, String(redisPort));
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const body: string[] = [];
  for (const statement of source.statements) (ts.isImportDeclaration(statement) ? imports : body).push(statement.getFullText(source));
  const wrapped = [
    ...imports,
    'module.exports.__block = async function (__shared, console, process) {',
    '  const { client, wf, text } = __shared;',
    '  {',
    ...body,
    // The setup block hands the names it defines to the blocks that use them.
    ...(exportNames.length > 0 ? [`  Object.assign(__shared, { ${exportNames.join(', ')} });`] : []),
    '  }',
    '};',
  ].join('\n');
  return ts.transpileModule(wrapped, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
};

/** A console and a process whose output is collected, and whose INVOKEAI_URL is the simulator. */
const capture = (env: Readonly<Record<string, string>>) => {
  let output = '';
  const print = (...args: unknown[]) => {
    output += `${util.format(...args)}\n`;
  };
  const console = { log: print, info: print, warn: print, error: print, debug: print };
  const stdout = { write: (t: string) => ((output += t), true), isTTY: false, columns: 80 };
  // The real process underneath; its own env, stdout and stderr shadow the real ones' getters.
  const proc = Object.create(process, { env: { value: { ...process.env, ...env } }, stdout: { value: stdout }, stderr: { value: stdout } }) as NodeJS.Process;
  return { console, process: proc, output: () => output };
};

/** Splits a command line as a shell would: quotes group, `#` starts a comment. */
export const shellWords = (line: string): string[] => {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '#' && word === undefined) break;
    else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
};

/** The command lines of a shell block (backslash continuations joined). */
export const commandLines = (code: string): string[] =>
  code
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map(shellWords)
    .filter((w) => w.length > 0)
    .map((w) => w.join('\u0000'));

/** The promise's outcome, or an error saying what did not finish within the block's time limit. */
const withinLimit = <T>(promise: Promise<T>, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what)), BLOCK_LIMIT_MS);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
};

const waitUntil = async (done: () => boolean, limitMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + limitMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/**
 * Runs a block in `dir` (with the setup block run first, when given) and answers its output.
 * Throws what the block threw, or says what kept it from ending.
 */
export const runBlock = async (block: MarkdownBlock, setup: { readonly block: MarkdownBlock; readonly names: readonly string[] } | undefined, dir: string): Promise<BlockRun> => {
  const servers = new Map<string, MockServer>();
  const activity: Activity = { running: 0, closers: [] };
  const urlOf = (origin: string): string => {
    const key = PRIMARY_ORIGINS.includes(origin) ? PRIMARY_ORIGINS[0]! : origin;
    return servers.get(key)?.url ?? origin;
  };
  const origins = new Set([PRIMARY_ORIGINS[0]!, ...[setup?.block, block].flatMap((b) => (b ? b.code.match(/https?:\/\/[A-Za-z0-9.-]+(:\d+)?/g) ?? [] : []))]);
  const cwd = process.cwd();
  const core = instrumented(require(PACKAGE_SOURCES['invokeai-rx']!) as Record<string, unknown>, activity);
  const generated = new Map<string, string>();
  let redis: RedisServer | undefined;
  const blockRequire = (spec: string): unknown => {
    if (spec === 'invokeai-rx') return core;
    const loaded = require(generated.get(spec) ?? PACKAGE_SOURCES[spec] ?? spec) as Record<string, unknown>;
    if (spec === 'bullmq') return instrumentedBullmq(loaded, activity);
    if (spec === 'invokeai-rx/bullmq') return instrumentedRunWorkers(loaded, activity);
    return loaded;
  };
  const load = (b: MarkdownBlock, names: readonly string[]) => {
    const module = { exports: {} as { __block?: (shared: object, console: object, process: object) => Promise<void> } };
    new Function('require', 'module', 'exports', asModule(b, names, urlOf, redis?.port))(blockRequire, module, module.exports);
    return module.exports.__block!;
  };
  let restoreStdout = (): void => undefined;
  try {
    for (const origin of origins) {
      const key = PRIMARY_ORIGINS.includes(origin) ? PRIMARY_ORIGINS[0]! : origin;
      if (!servers.has(key)) servers.set(key, await startMockServer({ stepMs: 1, steps: 3 }));
    }
    if (usesRedis(block)) redis = await startRedis();
    const primary = servers.get(PRIMARY_ORIGINS[0]!)!;
    const io = capture({ INVOKEAI_URL: primary.url });
    // What the library itself writes to stdout for the block (showProgress's default output) is its output too.
    const realWrite = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => io.process.stdout.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())) as typeof process.stdout.write;
    restoreStdout = () => {
      process.stdout.write = realWrite;
    };
    process.chdir(dir);
    for (const b of [setup?.block, block]) {
      for (const m of b?.code.matchAll(/from\s+['"](\.\/workflows\/[^'"]+)['"]/g) ?? []) generated.set(m[1]!, await generatedModule(dir, m[1]!));
    }
    const shared: Record<string, unknown> = {};
    if (setup !== undefined && setup.block !== block) {
      // The setup prints nothing into the block's output.
      await load(setup.block, setup.names)(shared, { log: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, io.process);
    }
    if (isTypeScript(block)) {
      await withinLimit(load(block, setup?.block === block ? setup.names : [])(shared, io.console, io.process), `${block.file}:${block.line}: the block had not finished after ${BLOCK_LIMIT_MS / 1000} s`);
    } else {
      const { main } = require(path.join(ROOT, 'lib/cli/main.ts')) as { main: (argv: readonly string[], io: CliIo) => Promise<number> };
      for (const line of commandLines(block.code)) {
        const words = line.split('\u0000').map((w) => w.replace(/https?:\/\/[A-Za-z0-9.-]+(:\d+)?/g, urlOf));
        const argv = words[0] === 'npx' ? words.slice(1) : words;
        if (argv[0] !== 'invokeai-rx') throw new Error(`${block.file}:${block.line}: only invokeai-rx commands run here, not "${words.join(' ')}"; add <!-- not run: why --> above the block`);
        const cliIo: CliIo = { stdout: io.process.stdout, stderr: io.process.stdout, env: { INVOKEAI_URL: primary.url }, cwd: dir };
        const code = await main(argv.slice(1), cliIo);
        if (code !== 0) throw new Error(`\`${words.join(' ')}\` exited ${code}:\n${io.output()}`);
      }
    }
    await waitUntil(() => activity.running === 0, BLOCK_LIMIT_MS, `${block.file}:${block.line}: a run it started had not ended after ${BLOCK_LIMIT_MS / 1000} s`);
    let output = io.output();
    for (const [origin, server] of servers) output = output.split(server.url).join(origin);
    return { output, servers };
  } finally {
    restoreStdout();
    process.chdir(cwd);
    for (const close of activity.closers) close();
    await Promise.all([...servers.values()].map((s) => s.close()));
    await redis?.stop();
  }
};
