// Tests that need Chromium, python-socketio or redis-server skip on a machine without them (one
// line naming the install) and never skip under CI=true. Proven twice: the decision and the probes
// in unit tests, and the real suites run in a child jest with every peer pointed away.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromiumPath, decide, findOnPath, isCi, peerPython, peers } from './requirements';

const ROOT = path.resolve(__dirname, '../..');

describe('decide', () => {
  const peer = { name: 'Chromium', install: 'apt-get install chromium' };
  it('runs when the peer is there, with or without CI', () => {
    expect(decide(peer, true, false)).toEqual({ run: true });
    expect(decide(peer, true, true)).toEqual({ run: true });
  });
  it('skips with one line naming the install when it is missing outside CI', () => {
    const d = decide(peer, false, false);
    expect(d).toEqual({ run: false, line: 'skipped: tests that need Chromium; to run them: apt-get install chromium' });
    expect(d.run === false && d.line.includes('\n')).toBe(false);
  });
  it('never skips under CI, even when the peer is missing (the tests then fail)', () => {
    expect(decide(peer, false, true)).toEqual({ run: true });
  });
  it('reads CI as CI services set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({})).toBe(false);
  });
});

describe('the probes', () => {
  let empty: string;
  beforeAll(async () => {
    empty = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-nopeers-'));
  });
  afterAll(() => fs.rm(empty, { recursive: true, force: true }));

  it('find nothing where nothing is installed', () => {
    const away = peers({ PATH: empty, CHROMIUM_PATH: path.join(empty, 'chromium'), PEER_PYTHON: path.join(empty, 'python3') });
    expect(away.chromium.available()).toBe(false);
    expect(away.pythonSocketio.available()).toBe(false);
    expect(away.redis.available()).toBe(false);
  });

  it('find a program on PATH and honour the variables that point elsewhere', async () => {
    const fake = path.join(empty, 'redis-server');
    await fs.writeFile(fake, '#!/bin/sh\n', { mode: 0o755 });
    expect(findOnPath('redis-server', `/nonexistent${path.delimiter}${empty}`)).toBe(fake);
    expect(peers({ PATH: empty }).redis.available()).toBe(true);
    expect(chromiumPath({ CHROMIUM_PATH: '/opt/chrome' })).toBe('/opt/chrome');
    expect(chromiumPath({})).toBe('/usr/bin/chromium');
    expect(peerPython({})).toBe('/usr/bin/python3');
    // A python without socketio is not enough: the probe imports the modules.
    expect(peers({ PEER_PYTHON: process.execPath }).pythonSocketio.available()).toBe(false);
  });
});

interface Run {
  readonly code: number;
  readonly output: string;
}
const runJest = (files: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((resolve) =>
    execFile(process.execPath, [path.join(ROOT, 'node_modules/jest/bin/jest.js'), '--colors=false', ...files], { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    ),
  );

describe('the suites that need a peer, on a machine without any', () => {
  let empty: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    empty = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-nopeers-'));
    const { CI: _ci, JEST_WORKER_ID: _worker, ...rest } = process.env;
    // Nothing on PATH (so no redis-server): jest runs on process.execPath and needs none.
    env = { ...rest, CHROMIUM_PATH: path.join(empty, 'chromium'), PEER_PYTHON: path.join(empty, 'python3'), PATH: empty };
  });
  afterAll(() => fs.rm(empty, { recursive: true, force: true }));

  it('pass, each peer skipped with one line naming its install; the tests without a peer still run', async () => {
    const run = await runJest(['spec/demos/browser-spec.ts', 'spec/testing/cors-browser-spec.ts', 'spec/transport/socket-peers-spec.ts', 'spec/bullmq/job-events-spec.ts'], env);
    expect(run.output).toMatch(/Tests:.*skipped.*passed/);
    expect(run.code).toBe(0);
    const lines = run.output.split('\n').filter((l) => l.startsWith('skipped: '));
    expect(lines).toEqual(
      expect.arrayContaining([
        `skipped: tests that need Chromium; to run them: ${peers().chromium.install}`,
        `skipped: tests that need python-socketio; to run them: ${peers().pythonSocketio.install}`,
        `skipped: tests that need redis-server; to run them: ${peers().redis.install}`,
      ]),
    );
  }, 180_000);

  it('fail under CI=true, naming the install', async () => {
    const run = await runJest(['spec/testing/cors-browser-spec.ts', 'spec/bullmq/job-events-spec.ts'], { ...env, CI: 'true' });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain(`CI=true: Chromium is required and missing. ${peers().chromium.install}`);
    expect(run.output).toContain(`CI=true: redis-server is required and missing. ${peers().redis.install}`);
  }, 180_000);
});
