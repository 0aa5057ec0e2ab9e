// The simulated server of the soak, in a process of its own so that the soak's heap and event loop
// hold only the client. The parent drives it over IPC: `{ id, cmd, args }` → `{ id, result }` or
// `{ id, error }`. Commands: `fault:<name>` (any method of `server.faults`), `queueItem`,
// `imageBytes` (base64), `socketCount`, `models`, `addImage`, `close`. First message: `{ url }`.
import { startMockServer } from '../../lib/testing';
import type { MockFaults, MockServer } from '../../lib/testing';

/** A request from the parent. */
export interface Command {
  readonly id: number;
  readonly cmd: string;
  readonly args: readonly unknown[];
}

const handle = async (server: MockServer, cmd: string, args: readonly unknown[]): Promise<unknown> => {
  if (cmd.startsWith('fault:')) {
    const name = cmd.slice('fault:'.length) as keyof MockFaults;
    const fault = server.faults[name] as (...a: unknown[]) => unknown;
    if (typeof fault !== 'function') throw new Error(`no fault named ${name}`);
    return (await fault(...args)) ?? null;
  }
  switch (cmd) {
    case 'queueItem':
      return server.queueItem(args[0] as number) ?? null;
    case 'imageBytes':
      return server.imageBytes(args[0] as string)?.toString('base64') ?? null;
    case 'socketCount':
      return server.socketCount;
    case 'models':
      return server.models();
    case 'addImage':
      return server.addImage(args[0] as Parameters<MockServer['addImage']>[0]);
    case 'trimEventLog':
      // The event log is a test aid that grows with every event; the soak does not read it.
      (server.events as unknown[]).length = 0;
      return null;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
};

const main = async (): Promise<void> => {
  const options = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const server = await startMockServer(options);
  process.send?.({ url: server.url });
  process.on('message', (msg: Command) => {
    if (msg.cmd === 'close') {
      void server.close().then(() => {
        process.send?.({ id: msg.id, result: null });
        process.disconnect();
      });
      return;
    }
    handle(server, msg.cmd, msg.args).then(
      (result) => process.send?.({ id: msg.id, result }),
      (error: unknown) => process.send?.({ id: msg.id, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
};
void main();
