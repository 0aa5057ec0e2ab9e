/** `invokeai-rx sim`: runs the simulated InvokeAI server until SIGINT/SIGTERM. */
import { startMockServer } from './server';

/** Error for bad `sim` arguments. */
export class SimUsageError extends Error {
  override readonly name = 'SimUsageError';
}

/** Parses `[--port P] [--step-ms N] [--steps N] [--base-path /p]`. */
export const parseSimArgs = (argv: ReadonlyArray<string>): { port: number; stepMs?: number; steps?: number; basePath?: string } => {
  const out: { port: number; stepMs?: number; steps?: number; basePath?: string } = { port: 9090 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < 0) throw new SimUsageError(`${flag} needs a non-negative integer, got ${String(value)}. Usage: invokeai-rx sim [--port P] [--step-ms N] [--steps N] [--base-path /prefix]`);
      i++;
      return n;
    };
    if (flag === '--port') out.port = num();
    else if (flag === '--step-ms') out.stepMs = num();
    else if (flag === '--steps') out.steps = num();
    else if (flag === '--base-path' && value !== undefined) {
      out.basePath = value;
      i++;
    } else throw new SimUsageError(`Unknown argument ${String(flag)}. Usage: invokeai-rx sim [--port P] [--step-ms N] [--steps N] [--base-path /prefix]`);
  }
  return out;
};

/** Runs the simulator from CLI arguments; resolves after SIGINT/SIGTERM closed it.
 *
 * @example
 * await runSimCommand(['--port', '9090', '--step-ms', '50']);
 */
export const runSimCommand = async (argv: string[]): Promise<void> => {
  const args = parseSimArgs(argv);
  const server = await startMockServer({ port: args.port, stepMs: args.stepMs ?? 50, steps: args.steps ?? 10, basePath: args.basePath });
  process.stdout.write(`Simulated InvokeAI listening on ${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  process.stdout.write('Simulated InvokeAI stopped\n');
};
