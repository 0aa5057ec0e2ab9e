// `invokeai-rx inputs <workflow.json>`: the form's inputs as a table, or as JSON.
import { listInputs, type Workflow } from '../index';
import { parseArgs } from './args';
import { countOf, inputsTable, printable, printableJson } from './format';
import { CliIo, UsageError } from './io';
import { type ConnectionArgs, withClient } from './server-args';
import { readWorkflow, retypeForServer, unknownNodeTypes } from './workflow-file';

/** Usage text of `inputs`. */
export const inputsUsage = `Usage: invokeai-rx inputs <workflow.json> [--json] [--url URL] [--token T] [--timeout S]

Lists the inputs of the workflow's form, in form order: the index, label and field you can pass to
--set, the kind of value each takes (* = required), its current value and its constraints.
Inputs are typed with InvokeAI's own node templates; with --url (or $INVOKEAI_URL), nodes those do
not know (custom nodes) are typed with the server's.
`;

const typedWorkflow = async (file: string, url: string | undefined, connection: ConnectionArgs, io: CliIo): Promise<Workflow> => {
  const wf = await readWorkflow(file, io);
  const unknown = unknownNodeTypes(wf);
  if (unknown.length === 0) return wf;
  if (url === undefined && !io.env['INVOKEAI_URL']) {
    io.stderr.write(`Node types unknown to InvokeAI's own templates: ${printable(unknown.join(', '))}; their inputs show as "unknown". Pass --url to type them with your server's.\n`);
    return wf;
  }
  return withClient(url, connection, io, (client) => retypeForServer(wf, client, file, io));
};

/** Runs `invokeai-rx inputs`; resolves to the exit code. */
export const inputsCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['url', 'token', 'timeout'], switches: ['json'] }, inputsUsage);
  if (args.positionals.length !== 1) throw new UsageError(`inputs takes one workflow file.\n\n${inputsUsage}`);
  const wf = await typedWorkflow(args.positionals[0], args.values['url'], { token: args.values['token'], timeout: args.values['timeout'] }, io);
  const inputs = listInputs(wf);
  if (args.switches.has('json')) {
    const plain = inputs.map(({ template: _template, ...rest }) => rest);
    io.stdout.write(`${printableJson(plain, 2)}\n`);
    return 0;
  }
  if (inputs.length === 0) {
    io.stdout.write(`${printable(wf.json.name || args.positionals[0])}: no inputs. Add fields to the workflow's form in the InvokeAI editor and export it again.\n`);
    return 0;
  }
  io.stdout.write(`${printable(wf.json.name || args.positionals[0])}: ${countOf(inputs.length, 'input')} (* required)\n\n`);
  io.stdout.write(inputsTable(inputs));
  return 0;
};
