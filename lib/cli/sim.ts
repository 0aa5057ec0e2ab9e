// `invokeai-rx sim`: the simulated InvokeAI server, until Ctrl-C.
import { startMockServer } from '../testing';
import { parseArgs } from './args';
import { CliIo, UsageError } from './io';

/** Usage text of `sim`. */
export const simUsage = `Usage: invokeai-rx sim [--port P] [--step-ms N] [--steps N] [--base-path /prefix] [--static DIR]

Runs the simulated InvokeAI server (REST + socket.io, InvokeAI's real node schemas) on 127.0.0.1.
  --port P        TCP port (default 9090; 0 picks a free one)
  --step-ms N     milliseconds per denoising step (default 50)
  --steps N       steps per heavy node (default 10)
  --base-path /p  serve everything under a path prefix, as behind a reverse proxy
  --static DIR    also serve the files of DIR (a browser page on the same origin)
`;

const nonNegative = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} takes a non-negative integer, got "${text}".\n\n${simUsage}`);
  return Number(text);
};

/** Runs `invokeai-rx sim`; resolves to the exit code once SIGINT/SIGTERM (or `stop`) closed it. */
export const simCommand = async (argv: readonly string[], io: CliIo, stop?: Promise<void>): Promise<number> => {
  const args = parseArgs(argv, { values: ['port', 'step-ms', 'steps', 'base-path', 'static'] }, simUsage);
  if (args.positionals.length > 0) throw new UsageError(`sim takes no positional arguments.\n\n${simUsage}`);
  const server = await startMockServer({
    port: nonNegative('port', args.values['port'], 9090),
    stepMs: nonNegative('step-ms', args.values['step-ms'], 50),
    steps: nonNegative('steps', args.values['steps'], 10),
    ...(args.values['base-path'] !== undefined ? { basePath: args.values['base-path'] } : {}),
    ...(args.values['static'] !== undefined ? { staticDir: args.values['static'] } : {}),
  });
  io.stdout.write(`Simulated InvokeAI listening on ${server.url}\n`);
  await (stop ??
    new Promise<void>((resolve) => {
      const done = (): void => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      process.on('SIGINT', done);
      process.on('SIGTERM', done);
    }));
  await server.close();
  io.stdout.write('Simulated InvokeAI stopped\n');
  return 0;
};
