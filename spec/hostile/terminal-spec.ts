// Row "server strings and workflow labels printed by the CLI": ESC, OSC (terminal title), BEL, `\r`,
// C1 and bidirectional controls from a server or a workflow file reach the terminal only escaped,
// in `run`, `models`, `queue` and `inputs`, on stdout and stderr, as plain lines, bars and JSON.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import type { CliIo } from '../../lib/cli/io';
import { startMockServer, type MockServer } from '../../lib/testing';

const ROOT = path.resolve(__dirname, '../..');
const SEED_SDXL = path.join(ROOT, 'spec/fixtures/seed-workflows/sdxl-text-to-image.json');

/** OSC 0 (set the window title) ended by BEL, ESC [2J (clear the screen), CR, the 8-bit CSI, a right-to-left override. */
const HOSTILE = '\x1b]0;pwned\x07\x1b[2J\rDONE\x9b31m\u202e';
/** Any control character but the newline: none may reach the terminal raw. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;
/** What the CLI's own progress bars send: cursor up and clear to the end of the screen, nothing else. */
const OWN_SEQUENCES = /\x1b\[\d*A|\x1b\[0J/g;

const cli = async (argv: readonly string[], tty = false) => {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (out += t), isTTY: tty, columns: 100 },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    cwd: ROOT,
  };
  const code = await main(argv, io);
  return { code, out, err };
};

const expectSafe = (text: string): void => {
  expect(text.replace(OWN_SEQUENCES, '')).not.toMatch(RAW_CONTROL);
};

let server: MockServer;
let tmp: string;
let hostileWorkflow: string;
beforeAll(async () => {
  server = await startMockServer({ stepMs: 1, steps: 2 });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-terminal-'));
  // The workflow's name and the label of its positive prompt input carry the hostile text.
  const json = JSON.parse(await fs.readFile(SEED_SDXL, 'utf8')) as { name: string };
  json.name = `evil${HOSTILE}`;
  const text = JSON.stringify(json).split('"label":"positive prompt"').join(`"label":${JSON.stringify(`positive prompt${HOSTILE}`)}`);
  hostileWorkflow = path.join(tmp, 'hostile.json');
  await fs.writeFile(hostileWorkflow, text);
});
afterAll(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const sdxlMain = () => server.models().find((m) => m.base === 'sdxl' && m.type === 'main')!;

describe('inputs', () => {
  it('escapes the labels and the name of a hostile workflow file, as a table and as JSON', async () => {
    const table = await cli(['inputs', hostileWorkflow]);
    expect(table.code).toBe(0);
    expectSafe(table.out);
    expect(table.out).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J\\x0dDONE\\x9b31m\\u202e');
    const json = await cli(['inputs', hostileWorkflow, '--json']);
    expectSafe(json.out);
    expect((JSON.parse(json.out) as Array<{ label: string }>).some((i) => i.label === `positive prompt${HOSTILE}`)).toBe(true);
  });
});

describe('run', () => {
  afterEach(() => server.faults.clear());

  it('escapes a hostile error type and message, so a \\r cannot overwrite the failure line (plain lines)', async () => {
    server.faults.failNodes({ type: 'denoise_latents', errorType: `Boom${HOSTILE}`, message: `failed\rDONE: all good${HOSTILE}`, count: 1 });
    const r = await cli(['run', hostileWorkflow, '--url', server.url, '--set', `Model=${sdxlMain().name}`]);
    expect(r.code).toBe(1);
    expectSafe(r.out);
    expectSafe(r.err);
    expect(r.out).toMatch(/failed at node \S+: Boom\\x1b\]0;pwned\\x07.*: failed\\x0dDONE: all good/);
  });

  it('escapes them on a terminal too, between its own progress bars', async () => {
    server.faults.failNodes({ type: 'denoise_latents', errorType: `Boom${HOSTILE}`, message: `failed\rDONE${HOSTILE}`, count: 1 });
    const r = await cli(['run', hostileWorkflow, '--url', server.url, '--set', `Model=${sdxlMain().name}`], true);
    expect(r.code).toBe(1);
    expect(r.out).toContain('\x1b[0J'); // its own bars were drawn
    expectSafe(r.out);
  });

  it('writes hostile strings as escaped JSON with --json (no raw C1 or bidirectional control)', async () => {
    server.faults.failNodes({ type: 'denoise_latents', errorType: `Boom${HOSTILE}`, message: `m${HOSTILE}`, count: 1 });
    const r = await cli(['run', hostileWorkflow, '--url', server.url, '--set', `Model=${sdxlMain().name}`, '--json']);
    expectSafe(r.out);
    const failed = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; error?: { type: string } }).find((e) => e.type === 'failed');
    expect(failed?.error?.type).toBe(`Boom${HOSTILE}`);
  });
});

describe('models and queue', () => {
  it('escapes hostile model names in the table and the JSON', async () => {
    server.addModel({ name: `evil${HOSTILE}`, type: 'main', base: 'sdxl' });
    const table = await cli(['models', server.url]);
    expect(table.code).toBe(0);
    expectSafe(table.out);
    expect(table.out).toContain('evil\\x1b]0;pwned');
    expectSafe((await cli(['models', server.url, '--json'])).out);
  });

  it('escapes hostile error types of queue items', async () => {
    server.faults.failNodes({ type: 'denoise_latents', errorType: `Err${HOSTILE}`, count: 1 });
    await cli(['run', hostileWorkflow, '--url', server.url, '--set', `Model=${sdxlMain().name}`]);
    server.faults.clear();
    const r = await cli(['queue', server.url]);
    expect(r.code).toBe(0);
    expectSafe(r.out);
    expect(r.out).toContain('Err\\x1b]0;pwned');
  });

  it('escapes a hostile error detail on stderr', async () => {
    server.faults.failRequests({ path: '/api/v1/queue/default/status', status: 500, body: { detail: `broken${HOSTILE}` }, count: 10 });
    try {
      const r = await cli(['queue', server.url]);
      expect(r.code).toBe(1);
      expect(r.err).toContain('broken\\x1b]0;pwned');
      expectSafe(r.err);
    } finally {
      server.faults.clear();
    }
  });
});
