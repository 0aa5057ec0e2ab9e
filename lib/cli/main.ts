// The `invokeai-rx` command line: one subcommand per job, built on the library's public API only.
import { runSimCommand } from '../testing/cli';

const usage = `Usage: invokeai-rx <command> [options]

Commands:
  sim [--port P] [--step-ms N]   run the simulated InvokeAI server
`;

/** Runs one CLI invocation; resolves to the process exit code. */
export const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv;
  switch (command) {
    case 'sim':
      await runSimCommand([...rest]);
      return 0;
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${usage}`);
      return 2;
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
