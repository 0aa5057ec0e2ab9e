// Every `@example` of a doc comment in lib/ compiles against the library's types, as the guides'
// blocks do. An example of a public name imports what it uses from the package entries, as a user
// would; a name that no entry exports is `@internal`, and its example may use the names of its own
// module without importing them.
import { promises as fs } from 'fs';
import * as path from 'path';
import { ENTRIES, LIB, libProgram } from '../architecture/entry-exports';
import { CodeBlock, typeCheckBlocks } from './typecheck';

const ROOT = path.resolve(__dirname, '../..');

/** What the examples may use without defining it, as the guides do. */
const PRELUDE = `// Names the examples use without defining them.
declare const client: import('invokeai-rx').InvokeAIClient;
declare const wf: import('invokeai-rx').Workflow;
declare const text: string;
declare const url: string;
`;

/**
 * Files whose examples do not all pass yet; each must still have a failing one (a file mended is
 * taken off the list).
 */
const NOT_YET_MENDED: ReadonlySet<string> = new Set<string>([]);

/** One `@example` with the name its doc comment documents. */
export interface Example extends CodeBlock {
  readonly name: string;
  readonly internal: boolean;
}

/** The `@example`s of a source text: the lines after the tag up to the next tag, without the comment's `*` and the code fences. */
export const examplesOf = (file: string, source: string): Example[] => {
  const examples: Example[] = [];

  for (const m of source.matchAll(/\/\*\*([\s\S]*?)\*\/\s*\n\s*(?:export )?(?:declare )?(?:const|let|function|class|interface|type|readonly)?\s*(\w+)/g)) {
    const comment = m[1]!;
    if (!comment.includes('@example')) continue;
    const startLine = source.slice(0, m.index).split('\n').length;
    const body = comment.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
    const tag = body.findIndex((l) => l.startsWith('@example'));
    let end = tag + 1;
    while (end < body.length && !body[end]!.startsWith('@')) end++;
    const code: string[] = [];
    let firstLine = -1;
    for (let i = tag + 1; i < end; i++) {
      if (/^```/.test(body[i]!)) continue;
      if (firstLine < 0) firstLine = startLine + i;
      code.push(body[i]!);
    }
    examples.push({ file, line: firstLine, code: code.join('\n').trim(), name: m[2]!, internal: /@internal\b/.test(comment) });
  }
  return examples;
};

const sourcesUnder = async (dir: string): Promise<string[]> => {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map(async (e) => (e.isDirectory() ? sourcesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [])));
  return nested.flat();
};

describe('examplesOf', () => {
  it('takes the example of a doc comment up to the next tag, without fences, with the name it documents', () => {
    const source = ['/**', ' * Adds.', ' *', ' * @example', ' * ```ts', ' * add(1, 2); // 3', ' * ```', ' * @internal', ' */', 'export const add = (a: number, b: number) => a + b;'].join('\n');
    expect(examplesOf('x.ts', source)).toEqual([{ file: 'x.ts', line: 6, code: 'add(1, 2); // 3', name: 'add', internal: true }]);
  });
});

it('every @example of lib/ compiles; each one of a name no entry exports is @internal', async () => {
  const files = await sourcesUnder(LIB);
  const program = libProgram(files);
  const publicNames = new Set(Object.values(ENTRIES).flatMap((f) => program.exportsOf(path.join(LIB, f)).map((e) => e.name)));
  const examples = (await Promise.all(files.map(async (f) => examplesOf(path.relative(ROOT, f), await fs.readFile(f, 'utf8'))))).flat();
  expect(examples.length).toBeGreaterThan(40);

  const problems: string[] = [];
  const blocks: CodeBlock[] = examples.map((example) => {
    if (publicNames.has(example.name)) return example;
    if (!example.internal) problems.push(`${example.file}:${example.line}: the example documents ${example.name}, which no entry exports: mark it @internal`);
    // Its module's names, imported on the example's first line so that errors keep their line.
    const moduleFile = path.join(ROOT, example.file);
    const names = program.exportsOf(moduleFile).filter((e) => new RegExp(`\\b${e.name}\\b`).test(example.code));
    const from = path.relative(path.join(ROOT, 'spec/docs/.tmp-x'), moduleFile).replace(/\.ts$/, '');
    const values = names.filter((e) => e.isValue).map((e) => e.name);
    const types = names.filter((e) => !e.isValue).map((e) => e.name);
    const imports = `${values.length > 0 ? `import { ${values.join(', ')} } from '${from}'; ` : ''}${types.length > 0 ? `import type { ${types.join(', ')} } from '${from}'; ` : ''}`;
    return { ...example, code: imports + example.code };
  });
  problems.push(...(await typeCheckBlocks(blocks, PRELUDE)));

  const byFile = (file: string): string[] => problems.filter((p) => p.startsWith(`${file}:`));
  expect(problems.filter((p) => !NOT_YET_MENDED.has(p.split(':')[0]!))).toEqual([]);
  expect([...NOT_YET_MENDED].filter((file) => byFile(file).length === 0)).toEqual([]);
}, 180_000);
