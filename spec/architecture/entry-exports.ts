// The names each package entry exports, read by the TypeScript checker (re-exports followed), and
// the names any module of lib/ exports, with whether each is a value or a type only.
import * as path from 'path';
import * as ts from 'typescript';

export const LIB = path.resolve(__dirname, '../../lib');

/** The package entries and their files under lib/. */
export const ENTRIES: Readonly<Record<string, string>> = {
  'invokeai-rx': 'index.ts',
  'invokeai-rx/templates': 'templates/index.ts',
  'invokeai-rx/node': 'node/index.ts',
  'invokeai-rx/testing': 'testing/index.ts',
  'invokeai-rx/bullmq': 'bullmq/index.ts',
};

/** One exported name of a module. */
export interface ExportedName {
  readonly name: string;
  /** It has a run-time value (a `const`, function, class or codec), not only a type. */
  readonly isValue: boolean;
}

/** A checker over lib/, for reading modules' exports. */
export const libProgram = (extraFiles: readonly string[] = []): { exportsOf: (file: string) => ExportedName[] } => {
  const roots = [...Object.values(ENTRIES).map((f) => path.join(LIB, f)), ...extraFiles];
  const program = ts.createProgram(roots, { strict: true, noEmit: true, esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const exportsOf = (file: string): ExportedName[] => {
    const source = program.getSourceFile(file);
    const symbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (symbol === undefined) return [];
    return checker.getExportsOfModule(symbol).map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      return { name: s.name, isValue: (target.flags & ts.SymbolFlags.Value) !== 0 };
    });
  };
  return { exportsOf };
};
