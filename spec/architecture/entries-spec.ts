// The package entries can be imported together: no name is exported by two of them for two
// different things (a user importing `ImageDTO` from both would get a clash, or the wrong one).
import * as path from 'path';
import { ENTRIES, LIB, libProgram } from './entry-exports';

it('no two package entries export the same name', () => {
  const { exportsOf } = libProgram();
  const byName = new Map<string, string[]>();
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const names = exportsOf(path.join(LIB, file)).map((e) => e.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) byName.set(name, [...(byName.get(name) ?? []), entry]);
  }
  const clashes = [...byName].filter(([, entries]) => entries.length > 1).map(([name, entries]) => `${name}: ${entries.join(', ')}`);
  expect(clashes).toEqual([]);
}, 60_000);
