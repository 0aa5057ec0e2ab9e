// Every ```ts block of the guides (docs/*.md) and of the README compiles against the library's
// types (docs-run-spec.ts runs them): the blocks are written as modules into a temporary folder inside the project, where
// `invokeai-rx`, `invokeai-rx/node` and `invokeai-rx/testing` map to lib/, and one `tsc --noEmit`
// checks them all. `client`, `wf` and `text` are declared for the blocks, as the guides say, and
// `./workflows/*` are the modules `invokeai-rx codegen` makes of two default workflows. The parser
// and the output matching of the run harness are tested here too.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow } from '../../lib';
import { generateWorkflowModule } from '../../lib/codegen/generate';
import { codeBlocks, outputMatches, planOf } from './blocks';
import { commandLines, shellWords } from './run-block';
import { tsBlocks, typeCheckBlocks } from './typecheck';

const ROOT = path.resolve(__dirname, '../..');

const PRELUDE = `// Names the guides use without defining them in every block.
declare const client: import('invokeai-rx').InvokeAIClient;
declare const wf: import('invokeai-rx').Workflow;
declare const text: string;
`;

describe('the blocks of a Markdown file', () => {
  it('finds ts blocks and their lines, and skips other languages', () => {
    const md = ['# t', '```ts', 'const a = 1;', '```', '```sh', 'ls', '```', '```typescript', 'const b = 2;', 'const c = 3;', '```'].join('\n');
    expect(tsBlocks('x.md', md).map(({ file, line, code }) => ({ file, line, code }))).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1;' },
      { file: 'x.md', line: 9, code: 'const b = 2;\nconst c = 3;' },
    ]);
  });

  it('reads the directive above a block and plans what runs, what prints, and what says why it does not run', () => {
    const md = [
      '```ts', 'run();', '```', '<!-- prints -->', '```text', 'done', '```',
      '<!-- not run: it installs packages -->', '', '```sh', 'npm install x', '```',
      '```python', 'print(1)', '```',
      '<!-- not run: -->', '```sh', 'ls', '```',
      '<!-- setup: client, wf -->', '```ts', 'const client = 1;', '```',
    ].join('\n');
    const plan = planOf(codeBlocks('x.md', md));
    expect(plan.run.map((r) => [r.block.line, r.prints?.code])).toEqual([[2, 'done'], [22, undefined]]);
    expect(plan.notRun.map((n) => [n.block.line, n.reason])).toEqual([[11, 'it installs packages']]);
    expect(plan.setup.map((b) => b.directive)).toEqual([{ kind: 'setup', names: ['client', 'wf'] }]);
    expect(plan.problems).toEqual([
      'x.md:13: a ```python block is neither run nor explained; add <!-- not run: why --> above it',
      'x.md:17: <!-- not run: --> needs a reason',
    ]);
  });

  it('matches output line by line, `...` standing for any text in a line or any lines', () => {
    expect(outputMatches('a 1\nb', 'a 1\nb\n')).toBe(true);
    expect(outputMatches('a ...\nb', 'a 123\nb')).toBe(true);
    expect(outputMatches('a\n...\nz', 'a\nb\nc\nz')).toBe(true);
    expect(outputMatches('a\n...\nz', 'a\nz')).toBe(true);
    expect(outputMatches('a 1', 'a 2')).toBe(false);
    expect(outputMatches('a (x)', 'a (x) more')).toBe(false);
    expect(outputMatches('a\nb', 'a\nb\nc')).toBe(false);
  });

  it('splits shell command lines as a shell would', () => {
    expect(shellWords('invokeai-rx run "Text to Image.json" --set \'a=b c\' # comment')).toEqual(['invokeai-rx', 'run', 'Text to Image.json', '--set', 'a=b c']);
    expect(commandLines('a b \\\n  c\n\n# only a comment\nd').map((l) => l.split('\u0000'))).toEqual([['a', 'b', 'c'], ['d']]);
  });
});

it('type-checks every TypeScript block of docs/ and README.md', async () => {
  const docs = (await fs.readdir(path.join(ROOT, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  const sources = [...docs, 'README.md'];
  const blocks = (await Promise.all(sources.map(async (f) => tsBlocks(f, await fs.readFile(path.join(ROOT, f), 'utf8'))))).flat();
  expect(blocks.length).toBeGreaterThan(30);
  expect(new Set(blocks.map((b) => b.file)).size).toBeGreaterThanOrEqual(10);

  // What `npx invokeai-rx codegen ... --out workflows` writes, for the typed-workflow examples.
  const workflows = await Promise.all(
    ['Text to Image - SDXL.json', 'Wan 2.2 Image to Image.json'].map(async (file) => {
      const m = generateWorkflowModule(Workflow.fromJson(await fs.readFile(path.join(ROOT, 'spec/fixtures/default-workflows', file), 'utf8')), { source: file });
      return { path: path.join('workflows', m.fileName), code: m.code };
    }),
  );
  expect(await typeCheckBlocks(blocks, PRELUDE, workflows)).toEqual([]);
}, 120_000);
