// The folders of lib/ are layers: each may import only the layers below it, and no two files may
// import each other, even through others or for types alone. A new import that breaks either rule
// fails here with the file, the import and the rule; docs/architecture.md says why each layer sits
// where it does.
import { builtinModules } from 'module';
import { promises as fs } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const LIB = path.resolve(__dirname, '../../lib');

/** What each layer may import, besides itself. `index.ts` is the package entry `invokeai-rx`. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  internal: [],
  protocol: ['internal'],
  workflow: ['internal', 'protocol'],
  transport: ['internal', 'protocol'],
  run: ['internal', 'protocol', 'workflow', 'transport'],
  client: ['internal', 'protocol', 'workflow', 'transport', 'run'],
  pool: ['internal', 'protocol', 'workflow', 'transport', 'run', 'client'],
  // The typed handle of generated workflow modules: workflow functions, run types, model identifiers.
  typed: ['internal', 'protocol', 'workflow', 'run', 'client'],
  // The module generator uses the public workflow API only (it is bundled into invokeai-rx/node).
  codegen: ['index.ts'],
  // invokeai-rx/templates: the offline templates of the workflow layer, as an entry of their own.
  templates: ['internal', 'workflow'],
  // Node-only helpers over everything the core offers (a pool run's progress included).
  node: ['internal', 'protocol', 'workflow', 'transport', 'run', 'client', 'pool', 'codegen'],
  'index.ts': ['internal', 'protocol', 'workflow', 'transport', 'run', 'client', 'pool', 'typed'],
  // The simulator shares no code with the client, so that it can never agree with it by construction.
  testing: [],
  // The CLI is a user of the three package entries, nothing else (and of the manifest, for --version).
  cli: ['index.ts', 'node/index.ts', 'testing/index.ts', '../package.json'],
  // invokeai-rx/bullmq builds on the public core only (its bundle imports it as 'invokeai-rx').
  bullmq: ['index.ts'],
};

/**
 * Outward imports that exist and are owed a mend, each `from -> to` (none today: the client resolves
 * model references before it starts the run pipeline). The list only shrinks: a mended import is
 * taken off (the test says so), a new one fails.
 */
const OWED: ReadonlySet<string> = new Set<string>([]);

/** Layers whose code also runs in browsers: no Node built-in module. */
const BROWSER_LAYERS: ReadonlySet<string> = new Set(['internal', 'protocol', 'workflow', 'transport', 'run', 'client', 'pool', 'typed', 'codegen', 'templates', 'index.ts']);

const NODE_BUILTINS: ReadonlySet<string> = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** A file's layer: its folder under lib/, or the file itself when it stands in lib/. */
const layerOf = (file: string): string => file.split('/')[0]!;

/** Whether layer `from` may import the file `toFile`: its own layer, a layer below, or an entry file named in `MAY_IMPORT`. */
const allows = (from: string, toFile: string): boolean => {
  const to = layerOf(toFile);
  if (from === to) return true;
  const allowed = MAY_IMPORT[from] ?? [];
  return allowed.includes(to) || allowed.includes(toFile);
};

const listSources = async (dir: string): Promise<string[]> => {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return listSources(full);
      return e.name.endsWith('.ts') ? [full] : [];
    }),
  );
  return nested.flat();
};

/** The file a relative import names (`./x` → `x.ts` or `x/index.ts`; JSON as it is). */
const resolveImport = async (fromFile: string, specifier: string): Promise<string | undefined> => {
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    const stat = await fs.stat(candidate).catch(() => undefined);
    if (stat?.isFile()) return candidate;
  }
  return undefined;
};

/** One import of lib/: both ends relative to lib/, or a package name as `to`. */
interface Import {
  readonly from: string;
  readonly to: string;
  readonly local: boolean;
}

/** Every import of every file of lib/ (static, `export ... from`, dynamic and `require`), comments left out. */
const readImports = async (): Promise<{ files: string[]; imports: Import[] }> => {
  const files = await listSources(LIB);
  const imports = await Promise.all(
    files.map(async (file) => {
      const text = await fs.readFile(file, 'utf8');
      const found = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
      const from = path.relative(LIB, file);
      return Promise.all(
        found.map(async (specifier): Promise<Import> => {
          if (!specifier.startsWith('.')) return { from, to: specifier, local: false };
          const target = await resolveImport(file, specifier);
          if (target === undefined) throw new Error(`${from}: cannot resolve '${specifier}'`);
          return { from, to: path.relative(LIB, target), local: true };
        }),
      );
    }),
  );
  return { files: files.map((f) => path.relative(LIB, f)), imports: imports.flat() };
};

/** The strongly connected components of more than one file (Tarjan), each sorted. */
const cyclesOf = (files: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] => {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
};

describe('the layers of lib/', () => {
  let files: string[];
  let imports: Import[];
  beforeAll(async () => {
    ({ files, imports } = await readImports());
  });

  it('finds the imports it checks', () => {
    // A reader that found nothing would pass every rule below.
    expect(files.length).toBeGreaterThan(80);
    expect(imports.filter((i) => i.local).length).toBeGreaterThan(300);
    expect(imports).toContainEqual({ from: 'client/client.ts', to: 'run/run.ts', local: true });
  });

  it('has a rule for every folder, and the rules themselves form no cycle', () => {
    expect([...new Set(files.map(layerOf))].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
    const layerEdges = new Map(Object.entries(MAY_IMPORT).map(([layer, below]) => [layer, below.map(layerOf)]));
    expect(cyclesOf(Object.keys(MAY_IMPORT), layerEdges)).toEqual([]);
  });

  it('imports only from the layers below', () => {
    const outward = imports.filter((i) => i.local && !allows(layerOf(i.from), i.to));
    expect(
      outward
        .filter((i) => !OWED.has(`${i.from} -> ${i.to}`))
        .map((i) => `${i.from} imports ${i.to}, but ${layerOf(i.from)} may import only: ${(MAY_IMPORT[layerOf(i.from)] ?? []).join(', ') || 'nothing of lib/'}`),
    ).toEqual([]);
    expect([...OWED].filter((owed) => !outward.some((i) => `${i.from} -> ${i.to}` === owed))).toEqual([]);
  });

  it('has no import cycle between files, type imports included', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) if (i.local) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    expect(cyclesOf(files, edges)).toEqual([]);
  });

  it('keeps Node built-ins out of the code that runs in browsers', () => {
    const nodeOnly = imports
      .filter((i) => !i.local && BROWSER_LAYERS.has(layerOf(i.from)) && NODE_BUILTINS.has(i.to))
      .map((i) => `${i.from} imports '${i.to}'`);
    expect(nodeOnly).toEqual([]);
  });
});

describe('cyclesOf', () => {
  it('finds a loop through several files and a file importing itself, and nothing in a tree', () => {
    const edges = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cyclesOf(['a', 'b', 'c', 'd', 'e'], edges)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(cyclesOf(['x', 'y'], new Map([['x', ['y']]]))).toEqual([]);
  });
});
