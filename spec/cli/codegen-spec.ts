// `invokeai-rx codegen`, run in-process through `main(argv, io)`: what it writes, what it leaves
// alone, and what it says (and exits with) when a file or the templates are wrong.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Workflow } from '../../lib';
import type { CliIo } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';
import { generateWorkflowModule } from '../../lib/codegen/generate';
import { startMockServer } from '../../lib/testing';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULTS = path.join(ROOT, 'spec/fixtures/default-workflows');
const SDXL = path.join(DEFAULTS, 'Text to Image - SDXL.json');
const FLUX = path.join(DEFAULTS, 'FLUX Image to Image.json');
const SEED_FLUX = path.join(ROOT, 'spec/fixtures/seed-workflows/flux-image-to-image.json');
const OPENAPI = path.join(ROOT, 'lib/testing/data/openapi.json');

let tmp: string;
beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-codegen-'));
});
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const cli = async (argv: readonly string[], env: Record<string, string> = {}) => {
  let out = '';
  let err = '';
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env, cwd: tmp };
  const code = await main(['codegen', ...argv], io);
  return { code, out, err };
};

const generated = async (file: string, source: string) => generateWorkflowModule(Workflow.fromJson(await fs.readFile(file, 'utf8')), { source: path.basename(source) }).code;

describe('invokeai-rx codegen', () => {
  it('writes one module per workflow into --out and says what each types', async () => {
    const r = await cli([SDXL, FLUX, '--out', 'src/workflows']);
    expect(r).toEqual({
      code: 0,
      out:
        'wrote src/workflows/text-to-image-sdxl.ts (textToImageSdxl: 5 inputs, 2 required without a value: "Model", "VAE (use the FP16 model)"; 1 output node)\n' +
        'wrote src/workflows/flux-image-to-image.ts (fluxImageToImage: 6 inputs, 2 required without a value: "Model (dev variant recommended for Image-to-Image)", "Image"; 1 output node)\n',
      err: '',
    });
    expect(await fs.readFile(path.join(tmp, 'src/workflows/text-to-image-sdxl.ts'), 'utf8')).toBe(await generated(SDXL, SDXL));
  });

  it('leaves an unchanged module alone, and rewrites a changed one whole', async () => {
    await cli([SDXL, '--out', '.']);
    const file = path.join(tmp, 'text-to-image-sdxl.ts');
    const before = await fs.stat(file);
    await new Promise((r) => setTimeout(r, 20));
    expect((await cli([SDXL, '--out', '.'])).out).toMatch(/^unchanged text-to-image-sdxl\.ts /);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
    await fs.writeFile(file, '// edited by hand\n');
    expect((await cli([SDXL, '--out', '.'])).out).toMatch(/^wrote text-to-image-sdxl\.ts /);
    expect(await fs.readFile(file, 'utf8')).toBe(await generated(SDXL, SDXL));
    expect((await fs.readdir(tmp)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes beside each workflow file without --out, and names the module after the file', async () => {
    const copy = path.join(tmp, 'My Flow.json');
    await fs.copyFile(SDXL, copy);
    expect((await cli(['My Flow.json'])).code).toBe(0);
    expect(await fs.readFile(path.join(tmp, 'my-flow.ts'), 'utf8')).toContain("export const myFlow = typedWorkflow<MyFlow, 'Model' | 'VAE (use the FP16 model)'>(");
  });

  it('--check writes nothing, and exits 1 naming each module that is missing or differs', async () => {
    const missing = await cli([SDXL, '--out', 'gen', '--check']);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/^stale gen\/text-to-image-sdxl\.ts /);
    expect(missing.err).toBe('1 module out of date: run invokeai-rx codegen without --check to regenerate.\n');
    await expect(fs.readdir(path.join(tmp, 'gen'))).rejects.toThrow(/ENOENT/);
    await cli([SDXL, FLUX, '--out', 'gen']);
    expect(await cli([SDXL, FLUX, '--out', 'gen', '--check'])).toMatchObject({ code: 0, err: '' });
    await fs.appendFile(path.join(tmp, 'gen/flux-image-to-image.ts'), '\n');
    const stale = await cli([SDXL, FLUX, '--out', 'gen', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/^unchanged gen\/text-to-image-sdxl\.ts .*\nstale gen\/flux-image-to-image\.ts /);
  });

  it('writes nothing when one file is no workflow, and says which and what to do (exit 2)', async () => {
    await fs.writeFile(path.join(tmp, 'notes.json'), '{"name": "not a workflow"}');
    await fs.writeFile(path.join(tmp, 'broken.json'), '{"name": ');
    const r = await cli([SDXL, 'notes.json', '--out', 'gen']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path.join(tmp, 'notes.json')}: the file is JSON but not an InvokeAI workflow:`);
    expect(r.err).toMatch(/Nothing was written\.\n$/);
    await expect(fs.readdir(path.join(tmp, 'gen'))).rejects.toThrow(/ENOENT/);
    expect((await cli(['broken.json'])).err).toMatch(/broken\.json: the file is not JSON .*Export the workflow again/);
    expect((await cli(['nowhere.json'])).err).toMatch(/nowhere\.json: no such file\. Check the path/);
  });

  it('refuses two workflow files that would make the same module (exit 2)', async () => {
    const r = await cli([FLUX, SEED_FLUX, '--out', 'gen']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${FLUX} and ${SEED_FLUX} would both become ${path.join(tmp, 'gen/flux-image-to-image.ts')}; rename one of the workflow files or generate them into different folders (--out).`);
    await expect(fs.readdir(path.join(tmp, 'gen'))).rejects.toThrow(/ENOENT/);
  });

  it('types with a server’s templates, from its URL or its openapi.json saved to a file', async () => {
    const fromFile = await cli([SDXL, '--out', 'a', '--templates', OPENAPI]);
    expect(fromFile.code).toBe(0);
    // The server's templates carry descriptions; the shipped ones do not.
    expect(await fs.readFile(path.join(tmp, 'a/text-to-image-sdxl.ts'), 'utf8')).toContain('   * The string value\n   * In the workflow: "photograph".');
    const server = await startMockServer();
    try {
      expect((await cli([SDXL, '--out', 'b', '--templates', server.url])).code).toBe(0);
      expect(await fs.readFile(path.join(tmp, 'b/text-to-image-sdxl.ts'), 'utf8')).toBe(await fs.readFile(path.join(tmp, 'a/text-to-image-sdxl.ts'), 'utf8'));
    } finally {
      await server.close();
    }
  });

  it('says what is wrong with the templates (exit 2), or that the server cannot be reached (exit 1)', async () => {
    const notOpenApi = await cli([SDXL, '--templates', SDXL]);
    expect(notOpenApi.code).toBe(2);
    expect(notOpenApi.err).toMatch(/Text to Image - SDXL\.json: The OpenAPI document has no components\.schemas; pass the InvokeAI server's \/openapi\.json\.\nNothing was written\./);
    const none = await cli([SDXL, '--templates', 'missing-openapi.json']);
    expect(none.err).toMatch(/missing-openapi\.json: no such templates file; pass the InvokeAI server's \/openapi\.json, saved to a file, or the server's URL\./);
    const unreachable = await cli([SDXL, '--templates', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/^NetworkError: /);
  }, 60_000);

  it('warns about inputs it cannot type and still writes the module', async () => {
    const json = JSON.parse(await fs.readFile(SDXL, 'utf8')) as { nodes: { data: { type: string; label: string } }[] };
    const vae = json.nodes.find((n) => n.data.type === 'vae_loader')!;
    vae.data.type = 'my_vae_loader';
    await fs.writeFile(path.join(tmp, 'custom.json'), JSON.stringify(json));
    const r = await cli(['custom.json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('custom.json: input #3 "VAE (use the FP16 model)" is typed unknown: the templates do not know node type "my_vae_loader"\n');
    expect(await fs.readFile(path.join(tmp, 'custom.ts'), 'utf8')).toContain("readonly 'VAE (use the FP16 model)'?: unknown;");
  });

  it('takes at least one file, and known options only (exit 2 with the usage)', async () => {
    expect(await cli([])).toMatchObject({ code: 2, err: expect.stringContaining('codegen takes one or more workflow files.') });
    expect(await cli([SDXL, '--output', 'x'])).toMatchObject({ code: 2, err: expect.stringContaining('Unknown option --output; this command takes --out, --templates, --token, --import-from, --check') });
    expect((await cli(['--help'])).out).toContain('Usage: invokeai-rx codegen <workflow.json...> [options]');
  });
});
