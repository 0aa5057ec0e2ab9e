// Every ```ts block of the guides (docs/*.md) and of the README compiles against the library's
// types (docs-run-spec.ts runs them): the blocks are written as modules into a temporary folder
// inside the project, where `invokeai-rx`, `invokeai-rx/node` and `invokeai-rx/testing` map to lib/,
// and one `tsc --noEmit` checks them all. `client`, `wf` and `text` are declared for the blocks, as
// the guides say. The parser and the output matching of the harness are tested here too.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { codeBlocks, outputMatches, planOf, tsBlocks, type CodeBlock } from './blocks';
import { commandLines, shellWords } from './run-block';

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

  const dir = await fs.mkdtemp(path.join(ROOT, 'spec/docs/.tmp-'));
  try {
    const names = new Map<string, CodeBlock>();
    await fs.writeFile(path.join(dir, 'prelude.d.ts'), PRELUDE);
    await Promise.all(
      blocks.map((b, n) => {
        const name = `block${String(n).padStart(3, '0')}.ts`;
        names.set(name, b);
        // `export {}` makes every block a module, so top-level await works and names do not clash.
        return fs.writeFile(path.join(dir, name), `${b.code}\nexport {};\n`);
      }),
    );
    await fs.writeFile(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'ES2022',
          moduleResolution: 'bundler',
          lib: ['ES2022', 'DOM'],
          strict: true,
          noEmit: true,
          esModuleInterop: true,
          resolveJsonModule: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [path.join(ROOT, 'node_modules/@types')],
          baseUrl: ROOT,
          paths: {
            'invokeai-rx': ['lib/index.ts'],
            'invokeai-rx/node': ['lib/node/index.ts'],
            'invokeai-rx/testing': ['lib/testing/index.ts'],
          },
        },
        include: ['*.ts'],
      }),
    );
    const out = await new Promise<string>((resolve) =>
      execFile(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (_e, stdout, stderr) =>
        resolve(stdout + stderr),
      ),
    );
    // Report each error at its place in the guide; errors inside lib/ are the type-check's business.
    const problems = out
      .split('\n')
      .map((line) => /(block\d{3}\.ts)\((\d+),(\d+)\): (.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => {
        const b = names.get(m[1])!;
        return `${b.file}:${b.line + Number(m[2]) - 1}: ${m[4]}`;
      });
    expect(problems).toEqual([]);
    // A broken configuration fails without naming a block: that must not pass either.
    const other = out.split('\n').filter((l) => /error TS\d+/.test(l) && !/block\d{3}\.ts\(/.test(l) && !/^(lib|spec|demos)\//.test(l.replace(`${ROOT}/`, '')));
    expect(other).toEqual([]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}, 120_000);
