// Every ```ts block of the guides (docs/*.md) and of the README compiles against the library's
// types: the blocks are written as modules into a temporary folder inside the project, where
// `invokeai-rx`, `invokeai-rx/node` and `invokeai-rx/testing` map to lib/, and one `tsc --noEmit`
// checks them all. `client`, `wf` and `text` are declared for the blocks, as the guides say, and
// `./workflows/*` are the modules `invokeai-rx codegen` makes of two default workflows.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow } from '../../lib';
import { generateWorkflowModule } from '../../lib/codegen/generate';
import { tsBlocks, typeCheckBlocks } from './typecheck';

const ROOT = path.resolve(__dirname, '../..');

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

  // What `npx invokeai-rx codegen ... --out workflows` writes, for the typed-workflow examples.
  const workflows = await Promise.all(
    ['Text to Image - SDXL.json', 'Wan 2.2 Image to Image.json'].map(async (file) => {
      const m = generateWorkflowModule(Workflow.fromJson(await fs.readFile(path.join(ROOT, 'spec/fixtures/default-workflows', file), 'utf8')), { source: file });
      return { path: path.join('workflows', m.fileName), code: m.code };
    }),
  );
  expect(await typeCheckBlocks(blocks, PRELUDE, workflows)).toEqual([]);
}, 120_000);
