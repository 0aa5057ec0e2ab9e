// `invokeai-rx codegen <workflow.json...>`: a typed TypeScript module per workflow file.
import * as path from 'path';
import { codegen, CodegenError, FileError, type CodegenFile } from '../node';
import { parseArgs } from './args';
import { countOf, displayPath } from './format';
import { CliIo, UsageError } from './io';
import { tokenOptions } from './server-args';

/** Usage text of `codegen`. */
export const codegenUsage = `Usage: invokeai-rx codegen <workflow.json...> [options]

Writes a TypeScript module per workflow file that exports a typed handle over it: its inputs by
label and by index with the value types of their fields (required ones marked), its output nodes
with what each gives. tsc then checks handle.set({ 'Positive Prompt': 'a fox', Width: 832 }).
The same workflow file always gives the same module; an unchanged module is not rewritten.

Options:
  --out DIR          write the modules into DIR (default: beside each workflow file)
  --templates SRC    type the inputs with a server's node templates: its URL, or its /openapi.json
                     saved to a file (default: InvokeAI's own, which ship with the library; custom
                     nodes need the server's)
  --token T          bearer token for a --templates URL (default: $INVOKEAI_TOKEN)
  --import-from M    the module the generated code imports the library from (default invokeai-rx)
  --check            write nothing; exit 1 when a module is missing or differs (for CI)

Exit code: 0 when done (with --check: every module up to date), 1 when a module is stale or
the templates server cannot be reached, 2 for bad arguments or a file that is no workflow.
`;

const summary = (f: CodegenFile): string => {
  const m = f.module;
  const required = m.required.length > 0 ? `, ${m.required.length} required without a value: ${m.required.map((k) => JSON.stringify(k)).join(', ')}` : '';
  return `${m.exportName}: ${countOf(m.inputs.length, 'input')}${required}; ${countOf(m.outputs.length, 'output node')}`;
};

/** Runs `invokeai-rx codegen`; resolves to the exit code. */
export const codegenCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['out', 'templates', 'token', 'import-from'], switches: ['check'] }, codegenUsage);
  if (args.positionals.length === 0) throw new UsageError(`codegen takes one or more workflow files.\n\n${codegenUsage}`);
  const check = args.switches.has('check');
  const templates = args.values['templates'];
  const token = tokenOptions(args.values['token'], io).token;
  let done: readonly CodegenFile[];
  try {
    done = await codegen(
      args.positionals.map((f) => path.resolve(io.cwd, f)),
      {
        ...(args.values['out'] !== undefined ? { out: path.resolve(io.cwd, args.values['out']) } : {}),
        ...(templates !== undefined ? { templates: /^https?:\/\//.test(templates) ? templates : path.resolve(io.cwd, templates) } : {}),
        ...(token !== undefined ? { token } : {}),
        ...(args.values['import-from'] !== undefined ? { importFrom: args.values['import-from'] } : {}),
        check,
      },
    );
  } catch (error) {
    // A file that is no workflow, or templates that are none, is a bad argument: say which, exit 2.
    if (error instanceof FileError || error instanceof CodegenError) throw new UsageError(`${error.message}\nNothing was written.`);
    throw error;
  }
  for (const f of done) {
    for (const w of f.module.warnings) io.stderr.write(`${displayPath(io.cwd, f.source)}: ${w}\n`);
    const verb = f.status === 'written' ? 'wrote' : f.status === 'unchanged' ? 'unchanged' : 'stale';
    io.stdout.write(`${verb} ${displayPath(io.cwd, f.file)} (${summary(f)})\n`);
  }
  const stale = done.filter((f) => f.status === 'stale');
  if (stale.length > 0) {
    io.stderr.write(`${countOf(stale.length, 'module')} out of date: run invokeai-rx codegen without --check to regenerate.\n`);
    return 1;
  }
  return 0;
};
