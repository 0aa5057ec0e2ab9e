// A real Redis for the BullMQ tests, demos and bench: Debian's `redis-server` started on a free
// loopback port in a temporary folder (no persistence, nothing outside that folder), and stopped.
import { ChildProcess, spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** A running `redis-server`. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Connection options as BullMQ and ioredis take them. */
  readonly connection: { readonly host: string; readonly port: number };
  /** Its process id (a test may kill it). */
  readonly pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
}

/** The install line printed when `redis-server` is missing. */
export const REDIS_INSTALL = 'apt-get install redis-server';

/** `redis-server` is not on PATH. */
export class RedisNotInstalledError extends Error {
  override readonly name = 'RedisNotInstalledError';
  constructor(readonly binary: string) {
    super(`${binary} was not found on PATH. Install Redis: ${REDIS_INSTALL} (Debian, Ubuntu), brew install redis (macOS), or use any Redis 6.2+ and set REDIS_URL=redis://host:6379.`);
  }
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;

/** A loopback port nobody listens on right now (another process may still take it: `startRedis` retries). */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/** Starts one try: resolves when Redis says it accepts connections, rejects with its output when it exits first. */
const startOn = (port: number, dir: string, binary: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    // Nothing is saved (no RDB, no AOF): a test's Redis lives and dies with the test.
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining its output so that a full pipe never blocks it.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new RedisNotInstalledError(binary) : error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });

/** Starts `redis-server` (from PATH, or `binary`) on a free loopback port in a fresh temporary folder. */
export const startRedis = async (binary = 'redis-server'): Promise<RedisServer> => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-redis-'));
  let lastError: unknown;
  // A port found free may be taken before Redis binds it: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let child: ChildProcess;
    try {
      child = await startOn(port, dir, binary);
    } catch (error) {
      lastError = error;
      if (String(error).includes('Address already in use')) continue;
      // No such program: no port will help.
      break;
    }
    let stopped: Promise<void> | undefined;
    return {
      host: HOST,
      port,
      url: `redis://${HOST}:${port}`,
      connection: { host: HOST, port },
      pid: child.pid as number,
      stop: () => {
        stopped ??= (async () => {
          const done = exited(child);
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 5000);
          await done;
          clearTimeout(force);
          await fs.rm(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  }
  await fs.rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
};
