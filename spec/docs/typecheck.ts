// Type-checks TypeScript snippets (the guides' blocks, the doc comments' examples) against the
// library's types: each snippet is written as a module into a temporary folder inside the project,
// where `invokeai-rx`, `invokeai-rx/templates`, `invokeai-rx/node` and `invokeai-rx/testing` map to lib/, and one
// `tsc --noEmit` checks them all.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { tsBlocks, type MarkdownBlock } from './blocks';

const ROOT = path.resolve(__dirname, '../..');

/** A snippet to check: where it is and its code (a guide's block, or a doc comment's example). */
export type CodeBlock = Pick<MarkdownBlock, 'file' | 'line' | 'code'>;

export { tsBlocks };

/** A module the blocks may import, at its path relative to them (`./workflows/x` from `workflows/x.ts`). */
export interface ModuleFile {
  readonly path: string;
  readonly code: string;
}

/** The problems `tsc` finds in the blocks, each at its place in the block's file (empty when all compile). */
export const typeCheckBlocks = async (blocks: readonly CodeBlock[], prelude: string, modules: readonly ModuleFile[] = []): Promise<string[]> => {
  const dir = await fs.mkdtemp(path.join(ROOT, 'spec/docs/.tmp-'));
  try {
    const names = new Map<string, CodeBlock>();
    await fs.writeFile(path.join(dir, 'prelude.d.ts'), prelude);
    for (const m of modules) {
      await fs.mkdir(path.dirname(path.join(dir, m.path)), { recursive: true });
      await fs.writeFile(path.join(dir, m.path), m.code);
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
            'invokeai-rx/templates': ['lib/templates/index.ts'],
            'invokeai-rx/node': ['lib/node/index.ts'],
            'invokeai-rx/testing': ['lib/testing/index.ts'],
            'invokeai-rx/bullmq': ['lib/bullmq/index.ts'],
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
    // A broken configuration fails without naming a block: that must not pass either.
    const other = out.split('\n').filter((l) => /error TS\d+/.test(l) && !/block\d{3}\.ts\(/.test(l) && !/^(lib|spec|demos)\//.test(l.replace(`${ROOT}/`, '')));
    return [...problems, ...other];
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
};
