// Every ```ts block of the guides (docs/*.md) and of the README compiles against the library's
// types: the blocks are written as modules into a temporary folder inside the project, where
// `invokeai-rx`, `invokeai-rx/node` and `invokeai-rx/testing` map to lib/, and one `tsc --noEmit`
// checks them all. `client`, `wf` and `text` are declared for the blocks, as the guides say, and
// `./workflows/*` are the modules `invokeai-rx codegen` makes of two default workflows.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow } from '../../lib';
import { generateWorkflowModule } from '../../lib/codegen/generate';

const ROOT = path.resolve(__dirname, '../..');

/** One fenced TypeScript block: where it is and its code. */
export interface CodeBlock {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** The ```ts (and ```typescript) blocks of a Markdown text, with the line each starts on. */
export const tsBlocks = (file: string, markdown: string): CodeBlock[] => {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
};

const PRELUDE = `// Names the guides use without defining them in every block.
declare const client: import('invokeai-rx').InvokeAIClient;
declare const wf: import('invokeai-rx').Workflow;
declare const text: string;
`;

describe('tsBlocks', () => {
  it('finds ts blocks and their lines, and skips other languages', () => {
    const md = ['# t', '```ts', 'const a = 1;', '```', '```sh', 'ls', '```', '```typescript', 'const b = 2;', 'const c = 3;', '```'].join('\n');
    expect(tsBlocks('x.md', md)).toEqual([
      { file: 'x.md', line: 3, code: 'const a = 1;' },
      { file: 'x.md', line: 9, code: 'const b = 2;\nconst c = 3;' },
    ]);
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
    // What `npx invokeai-rx codegen ... --out workflows` writes, for the typed-workflow examples.
    await fs.mkdir(path.join(dir, 'workflows'));
    for (const file of ['Text to Image - SDXL.json', 'Wan 2.2 Image to Image.json']) {
      const m = generateWorkflowModule(Workflow.fromJson(await fs.readFile(path.join(ROOT, 'spec/fixtures/default-workflows', file), 'utf8')), { source: file });
      await fs.writeFile(path.join(dir, 'workflows', m.fileName), m.code);
    }
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
