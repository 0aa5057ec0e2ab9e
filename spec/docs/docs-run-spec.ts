// Every code block of README.md and docs/ (any .md file there, including ones added later) is run
// against the simulated server, so what the docs show is what the library does; docs-spec.ts
// type-checks the TypeScript ones. How a block is run is said in run-block.ts.
//
// A block that cannot run here says why, in an HTML comment right above it (not shown on GitHub
// or npm), and a block's output can be checked by a ```text block right after it:
//
//   <!-- not run: it installs packages -->            <!-- prints -->
//   ```sh                                              ```text
//   npm install invokeai-rx                            #2 Model: ... (sdxl main, matched by base)
//   ```                                                ```
//
// In a `prints` block, `...` stands for any text within a line, and a line of only `...` for any
// number of lines. `<!-- setup: client, wf, text -->` marks the one block (in
// docs/workflow-basics.md) that defines the names the other blocks use without defining them.
// To see what blocks print while writing docs: DOCS_OUTPUT_DIR=/tmp/out npx jest spec/docs/docs-run-spec.ts
// writes each block's output there (file_md-line.txt).
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { codeBlocks, outputMatches, planOf, type MarkdownBlock, type Plan } from './blocks';
import { prepareFolder, runBlock, usesRedis } from './run-block';
import { decide, isCi, peers } from '../peers/requirements';

const ROOT = path.resolve(__dirname, '../..');

// README.md and every Markdown file under docs/ but the generated API reference. Jest needs the
// tests named before any runs, so the files are read synchronously here.
const files: Array<{ readonly file: string; readonly plan: Plan }> = (() => {
  const { readdirSync, readFileSync, statSync } = require('fs') as typeof import('fs');
  const list = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(ROOT, dir)).sort()) {
      const rel = path.join(dir, name);
      if (statSync(path.join(ROOT, rel)).isDirectory()) {
        if (rel !== path.join('docs', 'api')) walk(rel);
      } else if (name.endsWith('.md')) list.push(rel);
    }
  };
  walk('docs');
  return list.map((file) => ({ file, plan: planOf(codeBlocks(file, readFileSync(path.join(ROOT, file), 'utf8'))) }));
})();

const setups = files.flatMap((f) => f.plan.setup);
const setup = setups.length === 1 ? { block: setups[0]!, names: setups[0]!.directive.kind === 'setup' ? setups[0]!.directive.names : [] } : undefined;

it('reads every doc file, and each block is run, or says why it is not', () => {
  expect(files.map((f) => f.file)).toEqual(expect.arrayContaining(['README.md', path.join('docs', 'workflow-basics.md')]));
  expect(files.length).toBeGreaterThan(10);
  expect(files.flatMap((f) => f.plan.problems)).toEqual([]);
  expect(setups.map((b) => `${b.file}:${b.line}`)).toHaveLength(1);
  expect(setup?.names).toEqual(['client', 'wf', 'text']);
  const run = files.flatMap((f) => f.plan.run);
  expect(run.length).toBeGreaterThan(50);
  // What is not run, and why: a short list, each with its reason.
  expect(files.flatMap((f) => f.plan.notRun).every((n) => n.reason.length > 10)).toBe(true);
});

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-docs-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** A fresh folder per block, holding the files the docs name. */
const folderFor = async (block: MarkdownBlock): Promise<string> => {
  const folder = path.join(dir, `${block.file.replace(/[/\\.]/g, '_')}-${block.line}`);
  await fs.mkdir(folder, { recursive: true });
  await prepareFolder(folder, block.code);
  return folder;
};

// Blocks that need a Redis run against a redis-server of their own: skipped, with one line, where
// there is none (never under CI).
const redis = peers().redis;
const redisDecision = decide(redis, redis.available(), isCi());
if (!redisDecision.run && files.some((f) => f.plan.run.some((r) => usesRedis(r.block)))) process.stderr.write(`${redisDecision.line}\n`);
const itFor = (block: MarkdownBlock) => (usesRedis(block) && !redisDecision.run ? it.skip : it);

describe.each(files.filter((f) => f.plan.run.length > 0))('$file', ({ plan }) => {
  for (const { block, prints } of plan.run) {
    itFor(block)(`${block.file}:${block.line} (${block.lang})${prints ? ', prints what it says' : ''}`, async () => {
      const { output } = await runBlock(block, setup, await folderFor(block));
      const outputDir = process.env['DOCS_OUTPUT_DIR'];
      if (outputDir) await fs.writeFile(path.join(outputDir, `${block.file.replace(/[/\\.]/g, '_')}-${block.line}.txt`), output);
      if (prints !== undefined && !outputMatches(prints.code, output)) {
        // Shown as a diff of the two texts.
        expect(`${output.trimEnd()}\n`).toBe(`${prints.code.trimEnd()}\n`);
      }
    }, 60_000);
  }
});
