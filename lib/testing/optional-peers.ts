// socket.io and pngjs are optional peer dependencies: only the simulated server needs them, so an
// app that never imports `invokeai-rx/testing` does not install them. They are loaded when the
// simulator first needs them, and a missing one is one line that says what to install.
import type * as SocketIo from 'socket.io';
import type * as Pngjs from 'pngjs';

/** What installs the simulator's dependencies. */
export const TESTING_INSTALL = 'npm install --save-dev socket.io pngjs';

/** A package the simulated server needs is not installed; the message says how to install it. */
export class MissingPeerError extends Error {
  override readonly name = 'MissingPeerError';
  constructor(readonly packageName: string) {
    super(`invokeai-rx/testing needs ${packageName} (an optional peer dependency, for the simulated server): ${TESTING_INSTALL}`);
  }
}

const load = <T>(name: string): T => {
  try {
    // A plain require: the CJS bundle has it, and the ESM bundle defines it with createRequire.
    return require(name) as T;
  } catch (error) {
    // Only the package itself missing; a broken install of it (a dependency of its own missing) is rethrown.
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.split('\n')[0]!.includes(`'${name}'`)) throw new MissingPeerError(name);
    throw error;
  }
};

let socketIoModule: typeof SocketIo | undefined;
let pngjsModule: typeof Pngjs | undefined;

/** The `socket.io` package (its server), loaded on first use. */
export const socketIo = (): typeof SocketIo => (socketIoModule ??= load<typeof SocketIo>('socket.io'));

/** The `pngjs` package, loaded on first use. */
export const pngjs = (): typeof Pngjs => (pngjsModule ??= load<typeof Pngjs>('pngjs'));
