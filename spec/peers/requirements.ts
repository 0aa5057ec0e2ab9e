// Programs outside npm that some tests drive for real: Chromium (the browser demo, CORS as a browser
// enforces it), python-socketio (the socket server InvokeAI runs) and redis-server. On a machine
// without one, its tests skip with one line naming the install, so a fresh clone's `npm test`
// passes with Node and npm alone. Under `CI=true` they never skip: a missing program fails them,
// naming the install (`.ci/run` installs all of them).
import { spawnSync } from 'child_process';
import { accessSync, constants } from 'fs';
import * as path from 'path';

/** A program some tests need. */
export interface Peer {
  /** What it is, as the skip line names it. */
  readonly name: string;
  /** How to get it (Debian packages; the environment variable that points elsewhere). */
  readonly install: string;
  /** Whether it can be used on this machine (probed once per test file). */
  readonly available: () => boolean;
}

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The first executable `name` on a PATH (`path.delimiter`-separated), or undefined. */
export const findOnPath = (name: string, searchPath: string | undefined): string | undefined =>
  (searchPath ?? '')
    .split(path.delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => path.join(dir, name))
    .find(isExecutable);

/** The Chromium the browser tests launch: `CHROMIUM_PATH`, else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string => env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The python3 that runs the python-socketio peer: `PEER_PYTHON`, else Debian's own (not a pyenv one). */
export const peerPython = (env: NodeJS.ProcessEnv = process.env): string => env['PEER_PYTHON'] ?? '/usr/bin/python3';

/** The peers, probed in the given environment (the process's by default). */
export const peers = (env: NodeJS.ProcessEnv = process.env) => ({
  chromium: {
    name: 'Chromium',
    install: 'apt-get install chromium (or set CHROMIUM_PATH to a Chromium or Chrome binary)',
    available: () => isExecutable(chromiumPath(env)),
  },
  pythonSocketio: {
    name: 'python-socketio',
    install: 'apt-get install python3-socketio python3-aiohttp (run by /usr/bin/python3, or set PEER_PYTHON)',
    available: () => isExecutable(peerPython(env)) && spawnSync(peerPython(env), ['-c', 'import socketio, aiohttp'], { stdio: 'ignore', timeout: 20_000 }).status === 0,
  },
  redis: {
    name: 'redis-server',
    install: 'apt-get install redis-server (found on PATH)',
    available: () => findOnPath('redis-server', env['PATH']) !== undefined,
  },
}) satisfies Record<string, Peer>;

/** What to do with the tests of a peer: run them, or skip them with the line that says why. */
export type PeerDecision = { readonly run: true } | { readonly run: false; readonly line: string };

/** Whether `CI` asks for every test to run (`true` or `1`, as CI services set it). */
export const isCi = (env: NodeJS.ProcessEnv = process.env): boolean => env['CI'] === 'true' || env['CI'] === '1';

/** Runs the tests when the peer is there or under CI (where a missing peer must fail); skips them otherwise. */
export const decide = (peer: Pick<Peer, 'name' | 'install'>, available: boolean, ci: boolean): PeerDecision =>
  available || ci ? { run: true } : { run: false, line: `skipped: tests that need ${peer.name}; to run them: ${peer.install}` };

const probed = new Map<string, boolean>();
const availableOnce = (peer: Peer): boolean => {
  if (!probed.has(peer.name)) probed.set(peer.name, peer.available());
  return probed.get(peer.name)!;
};

/**
 * `describe` for tests that need a peer: skipped with one line on stderr when it is missing (and
 * CI is not set); under CI, a missing peer fails the block with the install line.
 */
export const describeWithPeer = (peer: Peer, title: string, body: () => void): void => {
  const available = availableOnce(peer);
  const decision = decide(peer, available, isCi());
  if (!decision.run) {
    // One plain line (console.* in jest prints a stack trace with it).
    process.stderr.write(`${decision.line}\n`);
    describe.skip(`${title} [${decision.line}]`, body);
    return;
  }
  describe(title, () => {
    if (!available) {
      beforeAll(() => {
        throw new Error(`CI=true: ${peer.name} is required and missing. ${peer.install}`);
      });
    }
    body();
  });
};
