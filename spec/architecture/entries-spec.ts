// The three package entries can be imported together: no name is exported by two of them for two
// different things (a user importing `ImageDTO` from both would get a clash, or the wrong one).
import * as path from 'path';
import * as ts from 'typescript';

const LIB = path.resolve(__dirname, '../../lib');
const ENTRIES = { 'invokeai-rx': 'index.ts', 'invokeai-rx/node': 'node/index.ts', 'invokeai-rx/testing': 'testing/index.ts' };

it('no two package entries export the same name', () => {
  const files = Object.values(ENTRIES).map((f) => path.join(LIB, f));
  const program = ts.createProgram(files, { strict: true, noEmit: true, esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const exportsOf = (file: string): string[] => {
    const source = program.getSourceFile(file);
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    return symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((s) => s.name);
  };
  const byName = new Map<string, string[]>();
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const names = exportsOf(path.join(LIB, file));
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  const clashes = [...byName].filter(([, entries]) => entries.length > 1).map(([name, entries]) => `${name}: ${entries.join(', ')}`);
  expect(clashes).toEqual([]);
}, 60_000);
