// The CLI, run in-process through `main(argv, io)` against the simulated server, and once as a
// real child process.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import type { CliIo } from '../../lib/cli/io';
import { startMockServer, type MockServer } from '../../lib/testing';

const ROOT = path.resolve(__dirname, '../..');
const SDXL = path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SDXL.json');
const SEED_SDXL = path.join(ROOT, 'spec/fixtures/seed-workflows/sdxl-text-to-image.json');

interface Captured {
  readonly io: CliIo;
  readonly out: () => string;
  readonly err: () => string;
}

const capture = (options: { readonly tty?: boolean; readonly env?: Record<string, string>; readonly cwd?: string } = {}): Captured => {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (t: string) => (out += t), isTTY: options.tty === true, columns: 100 },
      stderr: { write: (t: string) => (err += t) },
      env: options.env ?? {},
      cwd: options.cwd ?? ROOT,
    },
    out: () => out,
    err: () => err,
  };
};

const cli = async (argv: readonly string[], options?: Parameters<typeof capture>[0]) => {
  const c = capture(options);
  const code = await main(argv, c.io);
  return { code, out: c.out(), err: c.err() };
};

let server: MockServer;
let tmp: string;
beforeAll(async () => {
  server = await startMockServer({ stepMs: 1, steps: 2 });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-cli-'));
});
afterAll(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const sdxlModels = () => ({
  main: server.models().find((m) => m.base === 'sdxl' && m.type === 'main')!,
  vae: server.models().find((m) => m.base === 'sdxl' && m.type === 'vae')!,
});

describe('invokeai-rx inputs', () => {
  it('lists the form inputs in form order with kind, value and constraints', async () => {
    const r = await cli(['inputs', SEED_SDXL]);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\d+ /.test(l));
    expect(rows).toHaveLength(9);
    expect(rows[3]).toMatch(/^3\s+Width\s+.*\.width\s+integer\s+768\s+>0\.\., ×8/);
    expect(rows[0]).toMatch(/Model.*model\*.*model sdxl\/main/);
    expect(rows[7]).toMatch(/Scheduler.*enum.*"dpmpp_3m_k".*one of ddim\|/);
  });

  it('prints JSON with --json', async () => {
    const r = await cli(['inputs', SDXL, '--json']);
    const inputs = JSON.parse(r.out) as Array<{ index: number; label: string; kind: string }>;
    expect(inputs.map((i) => i.label)).toEqual(['Positive Prompt', 'Negative Prompt', 'Model', 'VAE (use the FP16 model)', 'Board']);
  });

  it('says which file is missing, exit code 2', async () => {
    const r = await cli(['inputs', 'nope.json']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`No such workflow file: ${path.join(ROOT, 'nope.json')}`);
  });

  it('reports a file that is not a workflow with the JSON path of the problem', async () => {
    const bad = path.join(tmp, 'bad.json');
    await fs.writeFile(bad, JSON.stringify({ name: 'x', meta: { version: '3.0.0' }, nodes: 3 }));
    const r = await cli(['inputs', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^FileError: .*bad\.json: the file is JSON but not an InvokeAI workflow:\n.*\n.*\$/);
  });
});

describe('invokeai-rx run: arguments', () => {
  it('needs a server', async () => {
    const r = await cli(['run', SDXL]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --url');
    expect(r.err).toContain('INVOKEAI_URL');
  });

  it('rejects an unknown option with the list of options', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, '--frobnicate', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Unknown option --frobnicate');
    expect(r.err).toContain('--sweep');
  });

  it('names the candidates of an unknown ref', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, '--set', 'Positive Promt=a cat']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('No input is named "Positive Promt"');
    expect(r.err).toContain('#0 "Positive Prompt"');
    expect(r.err).toContain('#4 "Board"');
  });

  it('parses a value by the input kind and states the rule it broke', async () => {
    const notInt = await cli(['run', SEED_SDXL, '--url', server.url, '--set', 'Width=wide']);
    expect(notInt.code).toBe(2);
    expect(notInt.err).toContain('input #3 "Width" (integer) must be an integer, got "wide"');
    const notMultiple = await cli(['run', SEED_SDXL, '--url', server.url, '--set', 'Width=1001']);
    expect(notMultiple.code).toBe(2);
    expect(notMultiple.err).toContain('must be a multiple of 8');
    const badEnum = await cli(['run', SEED_SDXL, '--url', server.url, '--set', 'Scheduler=fastest']);
    expect(badEnum.err).toMatch(/must be one of ddim, ddpm, .*tcd; got "fastest"/);
  });

  it('lists the models that fit when a model name is unknown', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, '--set', 'Model=sdxl-turbo']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no model named or keyed "sdxl-turbo"');
    expect(r.err).toContain(sdxlModels().main.name);
  });

  it('refuses to enqueue while a required input is unset, and says how to set it', async () => {
    const before = server.queueItems().length;
    const r = await cli(['run', SDXL, '--url', server.url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('"Model"');
    expect(r.err).toContain('--set ref=value');
    expect(server.queueItems()).toHaveLength(before);
  });

  it('rejects --runs that is not a positive integer', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, '--runs', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--runs takes a positive integer, got "0"');
  });
});

describe('invokeai-rx run: running', () => {
  const modelSets = () => ['--set', `Model=${sdxlModels().main.name}`, '--set', `3=${sdxlModels().vae.key}`];

  it('streams NDJSON events with --json, one terminal event per item, and saves the images', async () => {
    const out = path.join(tmp, 'json-out');
    const r = await cli(['run', SDXL, '--url', server.url, ...modelSets(), '--set', 'Positive Prompt=a lighthouse', '--sweep', 'Negative Prompt=blurry,dark', '--runs', '2', '--json', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; itemId?: number; file?: string });
    const enqueued = events.find((e) => e.type === 'enqueued') as unknown as { itemIds: number[] };
    expect(enqueued.itemIds).toHaveLength(4);
    for (const id of enqueued.itemIds) {
      const ofItem = events.filter((e) => e.itemId === id && e.type !== 'saved');
      expect(ofItem.filter((e) => ['completed', 'failed', 'canceled'].includes(e.type)).map((e) => e.type)).toEqual(['completed']);
      expect(ofItem[ofItem.length - 1].type).toBe('completed');
    }
    const saved = events.filter((e) => e.type === 'saved').map((e) => e.file!);
    expect(saved).toHaveLength(4);
    for (const f of saved) expect((await fs.readFile(f)).subarray(1, 4).toString()).toBe('PNG');
    expect(events[events.length - 1]).toEqual({ type: 'summary', total: 4, completed: 4 });
    // The prompt went to the server as set.
    const item = server.queueItem(enqueued.itemIds[0]) as { session: { graph: { nodes: Record<string, { value?: unknown }> } } };
    expect(Object.values(item.session.graph.nodes).some((n) => n.value === 'a lighthouse')).toBe(true);
  });

  it('spreads a sweep over several servers given as repeated --url, naming the server of each event, and saves every image', async () => {
    const second = await startMockServer({ stepMs: 1, steps: 2 });
    try {
      const out = path.join(tmp, 'pool-out');
      const r = await cli(['run', SDXL, '--url', server.url, '--url', second.url, ...modelSets(), '--sweep', 'Negative Prompt=a,b,c,d,e,f', '--json', '--out', out]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; itemId?: number; file?: string; server?: { url: string } });
      const enqueued = events.filter((e) => e.type === 'enqueued');
      expect(new Set(enqueued.map((e) => e.server?.url))).toEqual(new Set([server.url, second.url]));
      const terminals = events.filter((e) => ['completed', 'failed', 'canceled'].includes(e.type));
      expect(terminals.map((e) => e.type)).toEqual(Array(6).fill('completed'));
      // Item ids repeat across servers; each server's item ends once.
      expect(new Set(terminals.map((e) => `${e.server?.url}#${e.itemId}`)).size).toBe(6);
      expect(events.filter((e) => e.type === 'saved')).toHaveLength(6);
      expect((await fs.readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(6);
      expect(events[events.length - 1]).toEqual({ type: 'summary', total: 6, completed: 6 });
      expect(second.queueItems().length).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
  });

  it('names the server on plain lines when there are several', async () => {
    const second = await startMockServer({ stepMs: 1, steps: 2 });
    try {
      const r = await cli(['run', SDXL, '--url', server.url, '--url', second.url, ...modelSets(), '--sweep', 'Negative Prompt=a,b']);
      expect(r.code).toBe(0);
      const done = r.out.split('\n').filter((l) => / completed with /.test(l));
      expect(done).toHaveLength(2);
      for (const line of done) expect(line).toMatch(/ \[http:\/\/127\.0\.0\.1:\d+\]$/);
      expect(r.out.trim().split('\n').pop()).toBe('2/2 items completed');
    } finally {
      await second.close();
    }
  });

  it('prints plain lines when stdout is not a terminal', async () => {
    const r = await cli(['run', SEED_SDXL, '--url', server.url, '--set', `Model=${sdxlModels().main.name}`, '--set', 'Width=512']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^enqueued batch \S+: 1 item/);
    expect(r.out).toMatch(/item \d+: denoise_latents \(\S+\) started/);
    expect(r.out).toMatch(/item \d+: completed with 1 image\(s\)/);
    expect(r.out.trim().split('\n').pop()).toBe('1/1 item completed');
    expect(r.out).not.toContain('\x1b[');
  });

  it('draws progress bars on a terminal', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, ...modelSets()], { tty: true });
    expect(r.code).toBe(0);
    expect(r.out).toContain('\x1b[');
    expect(r.out).toMatch(/overall █+ 100%\s+1\/1 items/);
    expect(r.out).toMatch(/denoise_latents\s+[█░]+/);
  });

  it('exits 1 when an item fails, naming the node and the error', async () => {
    server.faults.failNodes({ type: 'denoise_latents', errorType: 'OutOfMemoryError', message: 'CUDA out of memory', count: 1 });
    try {
      const r = await cli(['run', SDXL, '--url', server.url, ...modelSets()]);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/item \d+: failed at node \S+: OutOfMemoryError: CUDA out of memory/);
      expect(r.out.trim().split('\n').pop()).toBe('0/1 item completed');
    } finally {
      server.faults.clear();
    }
  });

  it('takes the server from INVOKEAI_URL', async () => {
    const r = await cli(['queue'], { env: { INVOKEAI_URL: server.url } });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^queue default: \d+ pending, \d+ in progress, \d+ completed, [1-9]\d* failed/);
  });
});

describe('invokeai-rx models', () => {
  it('lists the installed models, filtered by base and type', async () => {
    const r = await cli(['models', server.url, '--base', 'sdxl', '--type', 'main']);
    expect(r.code).toBe(0);
    const main = sdxlModels().main;
    expect(r.out).toMatch(new RegExp(`^1 model \\(of ${server.models().length}\\)`));
    expect(r.out).toContain(main.key);
  });

  it('exits 1 with the HTTP error when the server fails', async () => {
    server.faults.failRequests({ path: '/api/v2/models', status: 500, count: 10 });
    try {
      const r = await cli(['models', server.url]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/Error: .*500/);
    } finally {
      server.faults.clear();
    }
  });
});

describe('the CLI as a child process', () => {
  const tsxCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'lib/cli/main.ts'), ...args],
        { cwd: ROOT, env: { ...process.env, ...env, INVOKEAI_URL: env['INVOKEAI_URL'] ?? '' } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('runs a workflow end to end and exits 0', async () => {
    const out = path.join(tmp, 'child-out');
    const r = await tsxCli(['run', SDXL, '--set', `Model=${sdxlModels().main.name}`, '--set', `3=${sdxlModels().vae.name}`, '--out', out], { INVOKEAI_URL: server.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1/1 item completed');
    expect((await fs.readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  });

  it('cancels the batch on the server on Ctrl-C and exits 130', async () => {
    const slow = await startMockServer({ stepMs: 100, steps: 20 });
    try {
      const models = { main: slow.models().find((m) => m.base === 'sdxl' && m.type === 'main')!, vae: slow.models().find((m) => m.base === 'sdxl' && m.type === 'vae')! };
      const child = execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'lib/cli/main.ts'), 'run', SDXL, '--url', slow.url, '--set', `Model=${models.main.key}`, '--set', `3=${models.vae.key}`],
        { cwd: ROOT },
      );
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Up to 20 s for tsx to start the CLI and the run to reach the denoiser on a busy machine.
      for (let i = 0; i < 2000 && !out.includes('denoise_latents'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(out).toContain('denoise_latents');
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain('interrupted: canceling the batch on the server');
      expect(slow.queueItems().map((i) => i['status'])).toEqual(['canceled']);
    } finally {
      await slow.close();
    }
  });

  it('with several servers, Ctrl-C cancels the batch on each of them and exits 130', async () => {
    const slow = await Promise.all([startMockServer({ stepMs: 100, steps: 20 }), startMockServer({ stepMs: 100, steps: 20 })]);
    try {
      const models = { main: slow[0].models().find((m) => m.base === 'sdxl' && m.type === 'main')!, vae: slow[0].models().find((m) => m.base === 'sdxl' && m.type === 'vae')! };
      const child = execFile(
        process.execPath,
        [
          path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
          path.join(ROOT, 'lib/cli/main.ts'),
          'run',
          SDXL,
          ...slow.flatMap((s) => ['--url', s.url]),
          '--set',
          `Model=${models.main.name}`,
          '--set',
          `3=${models.vae.key}`,
          '--sweep',
          'Negative Prompt=blurry,dark',
        ],
        { cwd: ROOT },
      );
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Plain lines end with their server's URL: both servers have an item denoising.
      const started = () => slow.filter((s) => out.split('\n').some((l) => l.includes('denoise_latents') && l.endsWith(`[${s.url}]`))).length;
      for (let i = 0; i < 2000 && started() < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(started()).toBe(2);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain('interrupted: canceling the batches on the servers');
      for (const server of slow) expect(server.queueItems().map((i) => i['status'])).toEqual(['canceled']);
    } finally {
      await Promise.all(slow.map((s) => s.close()));
    }
  });

  it('exits 2 on a bad argument', async () => {
    const r = await tsxCli(['inputs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: invokeai-rx inputs');
  });
});

describe('invokeai-rx sim', () => {
  it('serves until stopped, printing its URL', async () => {
    const { simCommand } = await import('../../lib/cli/sim');
    const c = capture();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const done = simCommand(['--port', '0', '--step-ms', '1'], c.io, stopped);
    for (let i = 0; i < 200 && !c.out().includes('http://'); i++) await new Promise((r) => setTimeout(r, 10));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(c.out())?.[0];
    expect(url).toBeDefined();
    const res = await fetch(`${url}/api/v1/app/version`);
    expect(((await res.json()) as { version: string }).version).toMatch(/^\d+\.\d+/);
    stop();
    expect(await done).toBe(0);
    expect(c.out()).toContain('Simulated InvokeAI stopped');
  });

  it('rejects a bad port with its rule', async () => {
    const r = await cli(['sim', '--port', 'http']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--port takes a non-negative integer, got "http"');
  });

  it('prints each command\'s usage with --help', async () => {
    const r = await cli(['run', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('--sweep ref=a,b,c');
  });
});

describe('custom nodes', () => {
  // A node pack's node: InvokeAI's shipped templates do not know "lighthouse_prompt"; a server with the pack does.
  const withCustomNode = async (): Promise<string> => {
    const json = JSON.parse(await fs.readFile(SDXL, 'utf8')) as {
      nodes: Array<{ id: string; data: { type: string; inputs: Record<string, { value?: unknown }> } }>;
      exposedFields: Array<{ nodeId: string; fieldName: string }>;
    };
    const prompt = json.nodes.find((n) => n.data.type === 'string' && n.data.inputs['value']?.value !== 'photograph')!;
    prompt.data.type = 'lighthouse_prompt';
    prompt.data.inputs['repeat'] = { name: 'repeat', label: 'Repeat', description: '', value: 2 } as { value?: unknown };
    json.exposedFields.push({ nodeId: prompt.id, fieldName: 'repeat' });
    const file = path.join(tmp, 'custom.json');
    await fs.writeFile(file, JSON.stringify(json));
    return file;
  };
  const customOpenApi = async () => {
    const doc = JSON.parse(await fs.readFile(path.join(ROOT, 'lib/testing/data/openapi.json'), 'utf8')) as { components: { schemas: Record<string, Record<string, unknown>> } };
    const base = doc.components.schemas['StringInvocation'] as { properties: Record<string, Record<string, unknown>> };
    doc.components.schemas['LighthousePromptInvocation'] = {
      ...base,
      title: 'Lighthouse Prompt',
      node_pack: 'lighthouse-pack',
      properties: {
        ...base.properties,
        repeat: { default: 1, description: 'How often', field_kind: 'input', input: 'any', orig_default: 1, orig_required: false, title: 'Repeat', type: 'integer', minimum: 1, maximum: 4 },
        type: { const: 'lighthouse_prompt', default: 'lighthouse_prompt', field_kind: 'node_attribute', title: 'type', type: 'string' },
      },
    };
    return doc;
  };

  it('says which node types are unknown, and types them with the server\'s templates given --url', async () => {
    const file = await withCustomNode();
    const offline = await cli(['inputs', file]);
    expect(offline.code).toBe(0);
    expect(offline.err).toContain('Node types unknown to InvokeAI\'s own templates: lighthouse_prompt');
    expect(offline.out).toMatch(/\n0\s+Positive Prompt\s+Positive Prompt\.value\s+unknown/);
    expect(offline.out).toMatch(/\n5\s+Repeat\s+Positive Prompt\.repeat\s+unknown\s+2\n/);

    const custom = await startMockServer({ stepMs: 1, openapi: (await customOpenApi()) as never });
    try {
      const online = await cli(['inputs', file, '--url', custom.url]);
      expect(online.err).toBe('');
      expect(online.out).toMatch(/\n0\s+Positive Prompt\s+Positive Prompt\.value\s+string/);
      expect(online.out).toMatch(/\n5\s+Repeat\s+Positive Prompt\.repeat\s+integer\s+2\s+1\.\.4\n/);
    } finally {
      await custom.close();
    }
  });
});

describe('load repairs', () => {
  type Json = {
    nodes: Array<{ id: string; data: { type: string; version: string; inputs: Record<string, { value?: unknown }> } }>;
    edges: Array<Record<string, unknown>>;
    exposedFields: Array<{ nodeId: string; fieldName: string }>;
  };
  const POSITIVE = 'ade2c0d3-0384-4157-b39b-29ce429cfa15';
  // A node id with a terminal escape in it (set the window title), as a hostile file could have.
  const GHOST = 'ghost\u001b]0;pwned\u0007';
  const SHOWN_GHOST = 'ghost\\x1b]0;pwned\\x07';
  /** SDXL's text to image with an edge from a node that does not exist and an exposed field naming it, saved as `name` in the temp folder. */
  const repairedSdxl = async (name: string, change: (json: Json) => void = () => undefined): Promise<string> => {
    const json = JSON.parse(await fs.readFile(SDXL, 'utf8')) as Json;
    json.edges.push({ id: 'dangling', type: 'default', source: GHOST, sourceHandle: 'value', target: POSITIVE, targetHandle: 'value' });
    json.exposedFields.push({ nodeId: GHOST, fieldName: 'value' });
    change(json);
    await fs.writeFile(path.join(tmp, name), JSON.stringify(json));
    return name;
  };
  const repairLines = (shown: string) => [
    `${shown}: invalid edge ${SHOWN_GHOST}.value -> ${POSITIVE}.value deleted: source node "${SHOWN_GHOST}" does not exist`,
    `${shown}: exposed field ${SHOWN_GHOST}.value left out of the form: no such node`,
  ];

  it('inputs says each repair once on stderr, named by the file and escaped; stdout is what the intact file gives', async () => {
    const file = await repairedSdxl('repaired.json');
    const intact = await cli(['inputs', SDXL]);
    for (const extra of [[], ['--json']]) {
      const r = await cli(['inputs', file, ...extra], { cwd: tmp });
      expect(r.code).toBe(0);
      expect(r.err.split('\n')).toEqual([...repairLines('repaired.json'), '']);
      expect(r.out).toBe(extra.length === 0 ? intact.out : (await cli(['inputs', SDXL, '--json'])).out);
    }
    expect(intact.err).toBe('');
  });

  it('run --json says the repairs on stderr only: stdout stays one JSON value a line', async () => {
    const file = await repairedSdxl('repaired-run.json');
    const { main: model, vae } = sdxlModels();
    const r = await cli(['run', file, '--url', server.url, '--set', `Model=${model.name}`, '--set', `3=${vae.key}`, '--json'], { cwd: tmp });
    expect(r.code).toBe(0);
    expect(r.err.split('\n')).toEqual([...repairLines('repaired-run.json'), '']);
    const lines = r.out.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { type: string });
    expect(events[0].type).toBe('enqueued');
    expect(events[events.length - 1]).toEqual({ type: 'summary', total: 1, completed: 1 });
    expect(lines.some((l) => l.includes('does not exist') || l.includes('left out of the form'))).toBe(false);
  });

  it('says a repair once when the workflow is loaded again with the server\'s templates (custom nodes)', async () => {
    const file = await repairedSdxl('repaired-custom.json', (json) => {
      // A custom node type, which --url types with the server's templates by loading the workflow again,
      json.nodes.find((n) => n.id === '719dabe8-8297-4749-aea1-37be301cd425')!.data.type = 'lighthouse_prompt';
      // and a node made for an older major version, which both loads leave as it is and say so.
      json.nodes.find((n) => n.data.type === 'rand_int')!.data.version = '0.9.0';
    });
    const doc = JSON.parse(await fs.readFile(path.join(ROOT, 'lib/testing/data/openapi.json'), 'utf8')) as { components: { schemas: Record<string, Record<string, unknown>> } };
    const base = doc.components.schemas['StringInvocation'] as { properties: Record<string, Record<string, unknown>> };
    doc.components.schemas['LighthousePromptInvocation'] = {
      ...base,
      title: 'Lighthouse Prompt',
      properties: { ...base.properties, type: { const: 'lighthouse_prompt', default: 'lighthouse_prompt', field_kind: 'node_attribute', title: 'type', type: 'string' } },
    };
    const custom = await startMockServer({ stepMs: 1, openapi: doc as never });
    try {
      const r = await cli(['inputs', file, '--url', custom.url], { cwd: tmp });
      expect(r.code).toBe(0);
      const lines = r.err.split('\n');
      expect(lines.filter((l) => l.includes('rand_int'))).toEqual([expect.stringMatching(/^repaired-custom\.json: .*0\.9\.0/)]);
      expect(lines.filter((l) => l.includes('ghost'))).toEqual(repairLines('repaired-custom.json'));
      expect(lines).toHaveLength(4);
      expect(r.out).toMatch(/\n1\s+Negative Prompt\s+Negative Prompt\.value\s+string/);
    } finally {
      await custom.close();
    }
  });
});

describe('the CLI in its own terms', () => {
  it('prints its version', async () => {
    const { version } = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('says a ComfyUI file (or any other JSON) is not an InvokeAI workflow, exit 2', async () => {
    const comfyUi = path.join(tmp, 'comfy.json');
    await fs.writeFile(comfyUi, JSON.stringify({ last_node_id: 9, last_link_id: 9, nodes: [{ id: 3, type: 'KSampler' }], links: [], version: 0.4 }));
    const comfyApi = path.join(tmp, 'comfy-api.json');
    await fs.writeFile(comfyApi, JSON.stringify({ 3: { class_type: 'KSampler', inputs: { seed: 1 } } }));
    const other = path.join(tmp, 'package.json');
    await fs.writeFile(other, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const ui = await cli(['inputs', comfyUi]);
    expect(ui).toEqual({ code: 2, out: '', err: `${comfyUi} is not an InvokeAI workflow: it looks like a ComfyUI workflow (it has last_node_id and links). Export one from InvokeAI's workflow editor (Workflows, then Download) and pass that file.\n` });
    expect((await cli(['run', comfyApi, '--url', server.url])).err).toContain('is not an InvokeAI workflow: it looks like a ComfyUI API prompt');
    expect((await cli(['inputs', other])).err).toContain('is not an InvokeAI workflow: it has none of the keys an InvokeAI workflow has');
  });

  it('lists labels and field refs whole in the inputs table: each works as a --set ref', async () => {
    const r = await cli(['inputs', SDXL]);
    const { Workflow, getInput, listInputs } = await import('../../lib/index');
    const wf = Workflow.fromJson(await fs.readFile(SDXL, 'utf8'));
    const rows = r.out.split('\n').slice(4, 4 + listInputs(wf).length);
    for (const input of listInputs(wf)) {
      const ref = `${input.nodeLabel}.${input.fieldName}`;
      expect(rows[input.index]).toContain(`  ${input.label}  `);
      expect(rows[input.index]).toContain(`  ${ref}  `);
      expect(getInput(wf, ref).index).toBe(input.index);
    }
    expect(r.out).toContain('VAE Model - SD1.5, SD2, SDXL, SD3, FLUX.vae_model');
  });

  it('checks --out before anything is enqueued: a file there is refused with exit 2', async () => {
    const file = path.join(tmp, 'a-file');
    await fs.writeFile(file, 'x');
    const before = server.queueItems().length;
    const r = await cli(['run', SDXL, '--url', server.url, '--sync-models', '--out', file]);
    expect(r).toEqual({ code: 2, out: '', err: `--out ${file}: it is a file, not a folder. Give a folder to save the images in.\n` });
    expect((await cli(['run', SDXL, '--url', server.url, '--sync-models', '--out', path.join(file, 'sub')])).err).toContain(`${file} is a file, not a folder`);
    expect(server.queueItems()).toHaveLength(before);
  });

  it('names its own flags when a required input is unset: --set 2=..., --sync-models (never setInput)', async () => {
    const r = await cli(['run', SDXL, '--url', server.url]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Input #2 "Model" (model) is required but has no value: --set 2=... (a model\'s name or key: invokeai-rx models lists them), or --sync-models to use installed ones.');
    expect(r.err).toContain('Input #3 "VAE (use the FP16 model)" (model) is required but has no value: --set 3=...');
    expect(r.err).not.toContain('setInput');
  });

  it('--sync-models points the shipped SDXL workflow at the server\'s models, says which, and runs it', async () => {
    const out = path.join(tmp, 'synced-out');
    const r = await cli(['run', SDXL, '--url', server.url, '--sync-models', '--set', 'Positive Prompt=a lighthouse', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const { main, vae } = sdxlModels();
    expect(r.out.split('\n').slice(0, 2)).toEqual([`model #2 Model: ${main.name} (sdxl main, matched by base)`, `model #3 VAE (use the FP16 model): ${vae.name} (sdxl vae, matched by base)`]);
    expect((await fs.readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  });

  it('--sync-models reports the changes as one JSON line with --json', async () => {
    const r = await cli(['run', SDXL, '--url', server.url, '--sync-models', '--json']);
    const first = JSON.parse(r.out.split('\n')[0]!) as { type: string; changes: Array<{ to: { name: string } }> };
    expect(first.type).toBe('models_synced');
    expect(first.changes.map((c) => c.to.name)).toEqual(expect.arrayContaining([sdxlModels().main.name, sdxlModels().vae.name]));
  });

  it('--timeout sets how long a request may take, and the timeout error names --timeout', async () => {
    expect((await cli(['models', server.url, '--timeout', '0'])).err).toContain('--timeout takes a number of seconds greater than 0');
    // A server that accepts connections and never answers.
    const net = await import('net');
    const sockets: import('net').Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as import('net').AddressInfo).port}`;
      const r = await cli(['models', url, '--timeout', '0.2']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^RequestTimeoutError: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/models\/ did not answer within 0\.2 s\.\n.*give it longer with --timeout S \(seconds per request; now 0\.2\)\.\n$/);
      expect(r.err).not.toContain('requestTimeoutMs');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 30_000);
});
