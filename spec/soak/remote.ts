// The parent's side of spec/soak/server-process.ts: the simulated server in another process,
// called like the in-process one (`faults`, `queueItem`, ...) but asynchronously.
import * as path from 'path';
import { ChildProcess, fork } from 'child_process';
import type { MockModelConfig, MockServerOptions, MockImageDTO } from '../../lib/testing';

type Reply = { readonly id: number; readonly result?: unknown; readonly error?: string };

/** The simulated server in a child process. */
export interface RemoteServer {
  readonly url: string;
  /** Calls a method of `server.faults` in the child. */
  fault(name: string, ...args: unknown[]): Promise<void>;
  /** The queue item as `GET .../i/{id}` serves it, or null when it does not exist. */
  queueItem(itemId: number): Promise<Record<string, unknown> | null>;
  /** The PNG bytes the server stored for an image, or null. */
  imageBytes(imageName: string): Promise<Buffer | null>;
  socketCount(): Promise<number>;
  models(): Promise<MockModelConfig[]>;
  addImage(options: { width: number; height: number }): Promise<MockImageDTO>;
  /** Empties the server's event log (it grows with every event). */
  trimEventLog(): Promise<void>;
  /** Closes the server and waits for the process to exit. */
  close(): Promise<void>;
}

/** Forks the simulated server with `options`. */
export const startRemoteServer = async (options: MockServerOptions): Promise<RemoteServer> => {
  const child: ChildProcess = fork(path.join(__dirname, 'server-process.ts'), [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the soak server exited (${code}) before listening`)));
  });
  child.on('message', (m) => {
    const reply = m as Reply;
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.error !== undefined) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.result);
  });
  child.once('exit', () => pending.forEach((w) => w.reject(new Error('the soak server exited'))));
  const call = (cmd: string, ...args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error('the soak server is gone'));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, cmd, args });
    });
  return {
    url,
    fault: async (name, ...args) => void (await call(`fault:${name}`, ...args)),
    queueItem: async (itemId) => (await call('queueItem', itemId)) as Record<string, unknown> | null,
    imageBytes: async (name) => {
      const b64 = (await call('imageBytes', name)) as string | null;
      return b64 === null ? null : Buffer.from(b64, 'base64');
    },
    socketCount: async () => (await call('socketCount')) as number,
    models: async () => (await call('models')) as MockModelConfig[],
    addImage: async (o) => (await call('addImage', o)) as MockImageDTO,
    trimEventLog: async () => void (await call('trimEventLog')),
    close: async () => {
      if (child.connected) {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await call('close').catch(() => undefined);
        await exited;
        clearTimeout(timer);
      } else await exited;
    },
  };
};
