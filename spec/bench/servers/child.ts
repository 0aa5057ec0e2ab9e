// Forks a TypeScript server script of the bench into its own process (through tsx) and speaks to
// it over IPC: the bench measures clients, so servers must not share the client's event loop.
import { ChildProcess, fork } from 'child_process';
import * as path from 'path';

/** A forked server process and its first message. */
export interface Child<Ready> {
  readonly ready: Ready;
  readonly process: ChildProcess;
  /** Waits for the next message that passes `accept`. */
  next<M>(accept: (msg: unknown) => msg is M, timeoutMs?: number): Promise<M>;
  /** Sends a message. */
  send(msg: unknown): void;
  /** Asks the child to close, then kills it if it has not exited within a second. */
  close(): Promise<void>;
}

/** Forks `script` (a .ts file) with `args` and resolves once it sent its first IPC message. */
export const forkServer = async <Ready>(script: string, args: readonly string[] = [], timeoutMs = 30000): Promise<Child<Ready>> => {
  const child = fork(script, [...args], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: unknown[] = [];
  const waiters: Array<() => void> = [];
  child.on('message', (m) => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = <M>(accept: (msg: unknown) => msg is M, limit = timeoutMs): Promise<M> =>
    new Promise<M>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: no expected message within ${limit} ms`)), limit);
      const look = (): void => {
        const i = inbox.findIndex(accept);
        if (i >= 0) {
          clearTimeout(timer);
          resolve(inbox.splice(i, 1)[0] as M);
        } else waiters.push(look);
      };
      look();
    });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await next((m): m is Ready => true);
  return {
    ready,
    process: child,
    next,
    send: (msg) => child.send(msg as never),
    close: async () => {
      if (child.exitCode === null && child.connected) child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** The simulated server (`startMockServer(options)`) in its own process; `ready.url` is its URL. */
export const forkMockServer = (options: Readonly<Record<string, unknown>>): Promise<Child<{ url: string }>> =>
  forkServer<{ url: string }>(path.join(__dirname, 'mock-server.ts'), [JSON.stringify(options)]);
