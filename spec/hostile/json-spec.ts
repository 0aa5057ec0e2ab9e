// Rows "a workflow file nested 20,000 deep" and "`run --json --out` with an item that cannot be
// serialised": deep or huge JSON from files and servers ends in the library's typed errors, the CLI
// exits 2 naming a bad file, and `run --json` fails when a line or a file could not be written.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { filter, firstValueFrom, take, timeout } from 'rxjs';
import { main } from '../../lib/cli/main';
import type { CliIo } from '../../lib/cli/io';
import { createClient } from '../../lib/client/client';
import { DecodeError } from '../../lib/transport/errors';
import { FileError, MAX_WORKFLOW_FILE_BYTES, loadWorkflowFile } from '../../lib/node';
import { startMockServer, type MockServer } from '../../lib/testing';
import { WorkflowDecodeError } from '../../lib/workflow/errors';
import { Workflow } from '../../lib/workflow/workflow';
import { HostileServer, forward, nestedJson, startHostileServer, withField } from './hostile-server';
import { queue } from '../../lib/client/queue';

const ROOT = path.resolve(__dirname, '../..');
const SDXL = path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SDXL.json');
const DEEP = 20_000;

const cli = async (argv: readonly string[], write?: (text: string) => void) => {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (write ? write(t) : undefined, (out += t)) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    cwd: ROOT,
  };
  const code = await main(argv, io);
  return { code, out, err };
};

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-json-'));
});
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));

describe('deep and huge workflow files', () => {
  let deepFile: string;
  beforeAll(async () => {
    deepFile = path.join(tmp, 'deep.json');
    await fs.writeFile(deepFile, withField(JSON.parse(await fs.readFile(SDXL, 'utf8')), 'extra', nestedJson(DEEP)));
  });

  it('loadWorkflowFile of a file nested 20,000 deep throws FileError naming it, not a RangeError', async () => {
    const error = await loadWorkflowFile(deepFile).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ reason: 'invalid_workflow', path: deepFile });
    expect((error as Error).message).toContain('nests more than 128 levels deep');
  });

  it('Workflow.fromJson and fromObject of such data throw WorkflowDecodeError', async () => {
    const text = await fs.readFile(deepFile, 'utf8');
    expect(() => Workflow.fromJson(text)).toThrow(WorkflowDecodeError);
    expect(() => Workflow.fromObject(JSON.parse(text))).toThrow(WorkflowDecodeError);
  });

  it('a file over 16 MiB, and an endless one, are refused as too large without being read whole', async () => {
    const huge = path.join(tmp, 'huge.json');
    await fs.writeFile(huge, Buffer.alloc(MAX_WORKFLOW_FILE_BYTES + 1, 0x20));
    await expect(loadWorkflowFile(huge)).rejects.toMatchObject({ name: 'FileError', reason: 'too_large', path: huge });
    await expect(loadWorkflowFile('/dev/zero')).rejects.toMatchObject({ name: 'FileError', reason: 'too_large' });
  });

  it('the CLI exits 2 on either, naming the file', async () => {
    for (const file of [deepFile, '/dev/zero']) {
      const r = await cli(['inputs', file]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^FileError: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    }
  });
});

describe('deep JSON from a server', () => {
  let server: HostileServer;
  beforeEach(async () => {
    server = await startHostileServer();
  });
  afterEach(() => server.close());

  it('an answer nested 20,000 deep is a DecodeError naming the endpoint', async () => {
    server.onHttp((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(nestedJson(DEEP));
    });
    const client = createClient({ baseUrl: server.url, retry: false });
    const error = await queue(client).status().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).message).toContain('GET /api/v1/queue/default/status');
    expect((error as DecodeError).issues[0].message).toContain('nests more than 128 levels deep');
  });

  it('a socket event nested 20,000 deep is set aside as a diagnostic, and the next event still arrives', async () => {
    server.onSocket(async (socket) => {
      await socket.handshake();
      await socket.acknowledgeSubscribe();
      await socket.send(`42["queue_cleared",{"queue_id":"default","deep":${nestedJson(DEEP)}}]`);
      await socket.send('42["queue_cleared",{"timestamp":1,"queue_id":"default"}]');
    });
    const client = createClient({ baseUrl: server.url });
    try {
      const diagnostic = firstValueFrom(client.diagnostics$.pipe(take(1), timeout(10_000)));
      const event = await firstValueFrom(client.events$.pipe(filter((e) => e.type === 'queue_cleared'), timeout(10_000)));
      expect(event).toEqual({ type: 'queue_cleared', timestamp: 1, queue_id: 'default' });
      expect(await diagnostic).toMatchObject({ type: 'ignored_frame', reason: 'its payload nests more than 128 levels deep' });
    } finally {
      client.close();
    }
  });
});

describe('run --json writes every line it can and fails when one could not be written', () => {
  let sim: MockServer;
  let proxy: HostileServer;
  beforeEach(async () => {
    sim = await startMockServer({ stepMs: 1, steps: 2 });
    proxy = await startHostileServer();
    proxy.proxySocketsTo(sim.url);
  });
  afterEach(async () => {
    await proxy.close();
    await sim.close();
  });

  const modelSets = () => ['--set', `Model=${sim.models().find((m) => m.base === 'sdxl' && m.type === 'main')!.name}`, '--set', `3=${sim.models().find((m) => m.base === 'sdxl' && m.type === 'vae')!.key}`];

  it('a queue item that no JSON line can hold (nested 20,000 deep) makes it exit non-zero, saying why', async () => {
    // Everything goes to the simulator; the item's own read comes back with a field nested 20,000 deep.
    proxy.onHttp((req, res) =>
      /^\/api\/v1\/queue\/default\/i\/\d+$/.test(req.url) && req.method === 'GET'
        ? forward(sim.url, req, res, (item) => withField(item, 'deep', nestedJson(DEEP)))
        : forward(sim.url, req, res),
    );
    const out = path.join(tmp, 'deep-out');
    const r = await cli(['run', SDXL, '--url', proxy.url, ...modelSets(), '--json', '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/GET \/api\/v1\/queue\/default\/i\/\d+ does not have the expected shape \(\$: the JSON nests more than 128 levels deep/);
    for (const line of r.out.trim().split('\n').filter((l) => l !== '')) expect(() => JSON.parse(line)).not.toThrow();
  }, 120_000);

  it('a line stdout refuses is said on stderr and fails the run, while the other lines and the files are written', async () => {
    proxy.onHttp((req, res) => forward(sim.url, req, res));
    const out = path.join(tmp, 'epipe-out');
    const r = await cli(['run', SDXL, '--url', proxy.url, ...modelSets(), '--json', '--out', out], (text) => {
      if (text.includes('"type":"completed"')) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^the completed event of item \d+ could not be written \(Error: write EPIPE\)$/m);
    const types = r.out.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('enqueued');
    expect(types).toContain('saved');
    expect(types[types.length - 1]).toBe('summary');
    expect((await fs.readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  }, 60_000);

  it('a proxy that forwards everything untouched changes nothing (the two cases above fail for their own reason)', async () => {
    proxy.onHttp((req, res) => forward(sim.url, req, res));
    const r = await cli(['run', SDXL, '--url', proxy.url, ...modelSets(), '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});

