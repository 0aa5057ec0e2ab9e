// Worker processes of demos/workers/worker.ts, started with Node and tsx as a user would run them, and
// stopped (SIGTERM) or killed (SIGKILL). Shared by the demo and the chaos test.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import * as readline from 'readline';

const ROOT = path.resolve(__dirname, '../..');

/** A running worker process. */
export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | NodeJS.Signals>;
  /** Sends a signal: SIGTERM to close it gracefully, SIGKILL to kill it with its jobs in hand. */
  readonly kill: (signal: NodeJS.Signals) => void;
}

/** What every worker is told: where Redis, the queue and the servers are, and how it takes over jobs. */
export interface FleetSettings {
  readonly redisUrl: string;
  readonly queue: string;
  readonly servers: readonly string[];
  readonly concurrency?: number;
  readonly lockMs?: number;
}

/**
 * Starts a worker process and resolves once it takes jobs. Its lines go to `onLine` (the worker's
 * own lines start with `[name]`; errors it prints are passed on too).
 */
export const startWorkerProcess = (name: string, settings: FleetSettings, onLine: (line: string) => void): Promise<WorkerProcess> =>
  new Promise((resolve, reject) => {
    // tsx as a loader of this very process (not its CLI, which runs the script in a child): a
    // SIGKILL must reach the worker itself.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'worker.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL: settings.redisUrl,
        WORKERS_QUEUE: settings.queue,
        WORKERS_SERVERS: settings.servers.join(','),
        WORKER_NAME: name,
        ...(settings.concurrency !== undefined ? { WORKER_CONCURRENCY: String(settings.concurrency) } : {}),
        ...(settings.lockMs !== undefined ? { WORKER_LOCK_MS: String(settings.lockMs) } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | NodeJS.Signals>((done) => child.once('exit', (code, signal) => done(signal ?? code ?? 0)));
    let ready = false;
    const onOutput = (line: string): void => {
      onLine(line);
      if (!ready && line === `[${name}] ready`) {
        ready = true;
        resolve({ name, child, exited, kill: (signal) => child.kill(signal) });
      }
    };
    readline.createInterface({ input: child.stdout! }).on('line', onOutput);
    readline.createInterface({ input: child.stderr! }).on('line', (line) => onOutput(`[${name}] ${line}`));
    void exited.then((end) => {
      if (!ready) reject(new Error(`worker ${name} exited (${end}) before it was ready`));
    });
  });
