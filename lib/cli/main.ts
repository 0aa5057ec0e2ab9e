// The `invokeai-rx` command line: one module per command, built on the library's public API only.
import { redactText } from '../index';
import { codegenCommand, codegenUsage } from './codegen';
import { printable } from './format';
import { inputsCommand, inputsUsage } from './inputs';
import { CliIo, UsageError, processIo } from './io';
import { modelsCommand, modelsUsage } from './models';
import { queueCommand, queueUsage } from './queue';
import { runCommand, runUsage } from './run';
import { simCommand, simUsage } from './sim';
import { version } from '../../package.json';

const usage = `Usage: invokeai-rx <command> [options]

Commands:
  inputs <workflow.json>            list the form's inputs (index, label, field, kind, value, constraints)
  run <workflow.json> [options]     set inputs, run it, show progress, save the images (run --help)
  models [<url>]                    list the server's installed models
  queue [<url>]                     show the server's queue
  sim [--port P] [--step-ms N]      run the simulated InvokeAI server (sim --help)
  codegen <workflow.json...>        write a typed TypeScript module per workflow (codegen --help)

The server URL defaults to $INVOKEAI_URL, the token to $INVOKEAI_TOKEN.
invokeai-rx --version prints the version.
`;

/**
 * An error's message said with the CLI's own flags: the library's messages name its options
 * (`requestTimeoutMs`, `baseUrl`), which a command line sets as --timeout and --url.
 */
export const cliMessage = (e: Error): string => {
  if (e.name === 'RequestTimeoutError' && 'method' in e && 'url' in e && 'timeoutMs' in e) {
    const seconds = Number(e.timeoutMs) / 1000;
    return `${String(e.method)} ${String(e.url)} did not answer within ${seconds} s.\nThe server may be busy (a model load blocks it for a while): give it longer with --timeout S (seconds per request; now ${seconds}).`;
  }
  return e.message.replace(/\bbaseUrl\b/g, '--url (or INVOKEAI_URL)').replace(/\brequestTimeoutMs\b/g, '--timeout');
};

/** The token of `--token` or INVOKEAI_TOKEN, which no printed error may show. */
const secretsOf = (argv: readonly string[], io: CliIo): string[] => [
  ...argv.flatMap((arg, i) => (arg === '--token' ? [argv[i + 1] ?? ''] : arg.startsWith('--token=') ? [arg.slice('--token='.length)] : [])),
  io.env['INVOKEAI_TOKEN'] ?? '',
];

type Command = { readonly run: (argv: readonly string[], io: CliIo) => Promise<number>; readonly usage: string };
const commands: Readonly<Record<string, Command>> = {
  inputs: { run: inputsCommand, usage: inputsUsage },
  run: { run: runCommand, usage: runUsage },
  models: { run: modelsCommand, usage: modelsUsage },
  queue: { run: queueCommand, usage: queueUsage },
  sim: { run: simCommand, usage: simUsage },
  codegen: { run: codegenCommand, usage: codegenUsage },
};

/**
 * Runs one CLI invocation and resolves to its exit code: 0 success, 1 a run or request failed,
 * 2 bad arguments. Nothing is thrown: every error is printed to `io.stderr`.
 *
 * @example
 * const code = await main(['inputs', 'workflow.json']);
 * @internal
 */
export const main = async (argv: readonly string[], io: CliIo = processIo()): Promise<number> => {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(usage);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v' || command === 'version') {
      io.stdout.write(`${version}\n`);
      return 0;
    }
    const found = commands[command];
    if (found === undefined) {
      io.stderr.write(`Unknown command "${command}".\n\n${usage}`);
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(found.usage);
      return 0;
    }
    return await found.run(rest, io);
  } catch (error) {
    // Messages carry what servers and files said: redacted, and escaped so they cannot drive the terminal.
    const safe = (text: string): string => printable(redactText(text, secretsOf(argv, io)), true);
    if (error instanceof UsageError) {
      io.stderr.write(`${safe(error.message)}\n`);
      return 2;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    // Input, decode and file errors are about what the user typed or gave: bad arguments, exit 2.
    const userError = ['InputError', 'WorkflowDecodeError', 'BatchError', 'FileError'].includes(e.name);
    io.stderr.write(`${safe(`${e.name}: ${cliMessage(e)}`)}\n`);
    return userError ? 2 : 1;
  }
};

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exit(1);
    },
  );
}
