// `npm run docs` builds the API reference from the doc comments with typedoc (settings in
// tsconfig.json's typedocOptions). The test builds it into a temporary folder and checks that the
// entry points and their main functions have pages, and that each entry's exports are grouped
// by the sections of its file, so a broken doc build fails the suite.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

it('builds the API reference of every entry point without errors', async () => {
  const out = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-api-'));
  try {
    const result = await new Promise<{ code: number; output: string }>((resolve) =>
      execFile(process.execPath, [path.join(ROOT, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: ROOT }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
      ),
    );
    expect(result.output).not.toMatch(/\[(error|warning)\]/);
    expect(result.code).toBe(0);
    const functions = await fs.readdir(path.join(out, 'functions'));
    for (const page of ['index.createClient.html', 'index.setInput.html', 'index.buildBatch.html', 'index.createPool.html', 'node.saveOutputs.html', 'testing.startMockServer.html', 'bullmq.createRunWorker.html', 'bullmq.runJobEvents.html']) {
      expect(functions).toContain(page);
    }
    const createClient = await fs.readFile(path.join(out, 'functions', 'index.createClient.html'), 'utf8');
    expect(createClient).toContain('Creates a client for one InvokeAI server');
    // Each entry's exports are grouped as the entry file groups them (`// --- Title ---`), in its order.
    for (const [page, entry] of [['index', 'lib/index.ts'], ['node', 'lib/node/index.ts'], ['testing', 'lib/testing/index.ts'], ['bullmq', 'lib/bullmq/index.ts']]) {
      const html = await fs.readFile(path.join(out, 'modules', `${page}.html`), 'utf8');
      const categories = [...html.matchAll(/<h2[^>]*>([^<]+)<a href="#/g)].map((m) => m[1]);
      const sections = [...(await fs.readFile(path.join(ROOT, entry), 'utf8')).matchAll(/^\/\/ --- (.+?) -+\s*$/gm)].map((m) => m[1].replace(/&/g, '&amp;'));
      expect(sections.length).toBeGreaterThan(1);
      expect(categories).toEqual(sections);
    }
  } finally {
    await fs.rm(out, { recursive: true, force: true });
  }
}, 120_000);
