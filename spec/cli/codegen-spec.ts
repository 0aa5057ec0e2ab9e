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
import { loadDefaultOpenApi } from '../../lib/testing/openapi';

const ROOT = path.resolve(__dirname, '../..');
const DEFAULTS = path.join(ROOT, 'spec/fixtures/default-workflows');
const SDXL = path.join(DEFAULTS, 'Text to Image - SDXL.json');
const FLUX = path.join(DEFAULTS, 'FLUX Image to Image.json');
const WAN_I2I = path.join(DEFAULTS, 'Wan 2.2 Image to Image.json');
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

/** SDXL's text to image with its VAE loader turned into a custom node type, as `custom.json` in the working folder. */
const writeCustom = async (): Promise<void> => {
  const json = JSON.parse(await fs.readFile(SDXL, 'utf8')) as { nodes: { data: { type: string } }[] };
  json.nodes.find((n) => n.data.type === 'vae_loader')!.data.type = 'my_vae_loader';
  await fs.writeFile(path.join(tmp, 'custom.json'), JSON.stringify(json));
};

const generated = async (file: string, source: string) => generateWorkflowModule(Workflow.fromJson(await fs.readFile(file, 'utf8')), { source: path.basename(source) }).code;

describe('invokeai-rx codegen', () => {
  it('writes one module per workflow into --out and says what each types', async () => {
    const r = await cli([SDXL, WAN_I2I, '--out', 'src/workflows']);
    expect(r).toEqual({
      code: 0,
      out:
        'wrote src/workflows/text-to-image-sdxl.ts (textToImageSdxl: 5 inputs, 2 required without a value: "Model", "VAE (use the FP16 model)"; 1 output node)\n' +
        'wrote src/workflows/wan-2-2-image-to-image.ts (wan22ImageToImage: 13 inputs, 2 required without a value: "Transformer", "Reference Image"; 1 output node)\n',
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
    await cli([SDXL, WAN_I2I, '--out', 'gen']);
    expect(await cli([SDXL, WAN_I2I, '--out', 'gen', '--check'])).toMatchObject({ code: 0, err: '' });
    await fs.appendFile(path.join(tmp, 'gen/wan-2-2-image-to-image.ts'), '\n');
    const stale = await cli([SDXL, WAN_I2I, '--out', 'gen', '--check']);
    expect(stale.code).toBe(1);
    expect(stale.out).toMatch(/^unchanged gen\/text-to-image-sdxl\.ts .*\nstale gen\/wan-2-2-image-to-image\.ts /);
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

  it('types with a server’s templates, from its openapi.json saved to a file or its URL (custom nodes included)', async () => {
    const fromFile = await cli([SDXL, '--out', 'a', '--templates', OPENAPI]);
    expect(fromFile.code).toBe(0);
    // The whole document carries descriptions; the templates that ship with the library do not.
    expect(await fs.readFile(path.join(tmp, 'a/text-to-image-sdxl.ts'), 'utf8')).toContain('   * The string value\n   * In the workflow: "photograph".');

    // A server with a node pack: its `my_vae_loader` is InvokeAI's VAE loader under another name.
    const document = loadDefaultOpenApi();
    const schemas = document.components.schemas;
    const vae = schemas['VAELoaderInvocation']!;
    const properties = vae['properties'] as Record<string, Record<string, unknown>>;
    const custom = { ...vae, title: 'My VAE Loader', properties: { ...properties, type: { ...properties['type'], const: 'my_vae_loader', default: 'my_vae_loader' } } };
    const server = await startMockServer({ openapi: { ...document, components: { schemas: { ...schemas, MyVaeLoaderInvocation: custom } } } });
    try {
      await writeCustom();
      const plain = await cli(['custom.json', '--out', 'b']);
      expect(plain.err).toContain('(type "my_vae_loader", version "1.0.3"): the templates do not know its type');
      const typed = await cli(['custom.json', '--out', 'c', '--templates', server.url]);
      expect(typed).toMatchObject({ code: 0, err: '' });
      expect(await fs.readFile(path.join(tmp, 'c/custom.ts'), 'utf8')).toContain(
        "readonly 'VAE (use the FP16 model)': ModelInput<{ base: 'sd-1' | 'sd-2' | 'sdxl' | 'sd-3' | 'flux' | 'flux2'; type: 'vae' }> | ModelName;",
      );
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

  it('warns about what it cannot type or what cannot run, and still writes the module', async () => {
    await writeCustom();
    await fs.copyFile(FLUX, path.join(tmp, 'FLUX Image to Image.json'));
    const r = await cli(['custom.json', 'FLUX Image to Image.json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'custom.json: node "0093692f-9cf4-454d-a5b8-62f0e3eb3bb8" (type "my_vae_loader", version "1.0.3"): the templates do not know its type, so its inputs are typed unknown and a server without that node rejects the workflow (--templates with the server\'s URL types it as that server does)\n' +
        `FLUX Image to Image.json: node "FLUX Denoise" (type "flux_denoise", version "3.0.0"): made for an older major version than the templates' "4.6.0", so the workflow cannot run until the node is replaced in InvokeAI's editor\n`,
    );
    expect(await fs.readFile(path.join(tmp, 'custom.ts'), 'utf8')).toContain("readonly 'VAE (use the FP16 model)'?: unknown;");
    expect(r.out).toMatch(/\nwrote flux-image-to-image\.ts /);
  });

  it('takes at least one file, and known options only (exit 2 with the usage)', async () => {
    expect(await cli([])).toMatchObject({ code: 2, err: expect.stringContaining('codegen takes one or more workflow files.') });
    expect(await cli([SDXL, '--output', 'x'])).toMatchObject({ code: 2, err: expect.stringContaining('Unknown option --output; this command takes --out, --templates, --token, --import-from, --check') });
    expect((await cli(['--help'])).out).toContain('Usage: invokeai-rx codegen <workflow.json...> [options]');
  });
});
