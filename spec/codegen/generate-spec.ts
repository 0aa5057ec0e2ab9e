// The generator over every workflow this project has (InvokeAI's 26 default workflows and the
// seed client's 5) and over hostile ones: each module compiles with tsc, loads, types the inputs
// `listInputs` reports, and is the same text every time it is generated.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { listInputs, templatesFromOpenApi, Workflow, type TypedWorkflow, type WorkflowSpec } from '../../lib';
import { templates as defaultTemplates } from '../../lib/templates';
import { generateWorkflowModule } from '../../lib/codegen/generate';

const ROOT = path.resolve(__dirname, '../..');
const LIB = path.join(ROOT, 'lib/index');
const FIXTURES = ['default-workflows', 'seed-workflows'].map((d) => path.join(ROOT, 'spec/fixtures', d));

interface Source {
  readonly folder: string;
  readonly file: string;
  readonly text: string;
}

const fixtureSources = async (): Promise<Source[]> =>
  (
    await Promise.all(
      FIXTURES.map(async (dir) =>
        Promise.all(
          (await fs.readdir(dir))
            .filter((f) => f.endsWith('.json'))
            .sort()
            .map(async (file) => ({ folder: path.basename(dir), file, text: await fs.readFile(path.join(dir, file), 'utf8') })),
        ),
      ),
    )
  ).flat();

/** The generated modules the type test imports, and the fixtures they come from. */
const COMMITTED: ReadonlyArray<readonly [fixture: string, module: string]> = [
  ['default-workflows/Text to Image - SDXL.json', 'text-to-image-sdxl.ts'],
  ['default-workflows/Wan 2.2 Image to Image.json', 'wan-2-2-image-to-image.ts'],
  ['default-workflows/Text to Video - Wan 2.2 Lightning.json', 'text-to-video-wan-2-2-lightning.ts'],
  ['seed-workflows/sdxl-flux-refine.json', 'sdxl-flux-refine.ts'],
];

const SD15 = path.join(ROOT, 'spec/fixtures/default-workflows/Text to Image - SD1.5.json');
const NOISE = '55705012-79b9-4aac-9f26-c0b10309785b';
const RAND_INT = 'ea94bc37-d995-4a83-aa99-4af42479f2f2';
const POSITIVE = '7d8bf987-284f-413a-b2fd-d825445a5d6c';
const NEGATIVE = '93dc02a4-d05b-48ed-b99c-c9b616af3402';

type Json = Record<string, unknown> & { nodes: { id: string; data: { type: string; inputs: Record<string, { label: string }> } }[]; edges: unknown[] };

/** SD1.5's text to image, edited by `edit` (labels, edges, node types), as a parsed object. */
const sd15 = async (edit: (json: Json) => void): Promise<Json> => {
  const json = JSON.parse(await fs.readFile(SD15, 'utf8')) as Json;
  edit(json);
  return json;
};
const node = (json: Json, id: string) => json.nodes.find((n) => n.id === id)!;

/** The hostile one: labels and a name that try to end comments and strings, an index-like label, `__proto__`. */
const HOSTILE_LABEL = "*/ evil'\"\\\n\u2028end";
const hostile = () =>
  sd15((json) => {
    json.name = 'x */ y\n// z';
    node(json, POSITIVE).data.inputs['prompt'].label = HOSTILE_LABEL;
    node(json, NEGATIVE).data.inputs['prompt'].label = '__proto__';
    node(json, NOISE).data.inputs['height'].label = '3';
  });

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(ROOT, 'spec/codegen/.tmp-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** tsc over the files, with the project's strictness; resolves to its diagnostics. */
const typeCheck = async (files: readonly string[]): Promise<string> => {
  await fs.writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2020', module: 'commonjs', moduleResolution: 'node', strict: true, noEmit: true, esModuleInterop: true, resolveJsonModule: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] },
      files,
    }),
  );
  return new Promise<string>((resolve) =>
    execFile(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir, '--pretty', 'false'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (_e, stdout, stderr) =>
      resolve(stdout + stderr),
    ),
  );
};

describe('the 26 default workflows and the seed client’s 5', () => {
  let sources: Source[];
  const written: { source: Source; file: string; code: string }[] = [];
  beforeAll(async () => {
    sources = await fixtureSources();
    for (const source of sources) {
      const m = generateWorkflowModule(Workflow.fromJson(source.text), { source: source.file, importFrom: LIB });
      const file = path.join(dir, source.folder, m.fileName);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, m.code);
      written.push({ source, file, code: m.code });
    }
  });

  it('are all there', () => {
    expect(sources.filter((s) => s.folder === 'default-workflows')).toHaveLength(26);
    expect(sources.filter((s) => s.folder === 'seed-workflows')).toHaveLength(5);
    expect(new Set(written.map((w) => w.file)).size).toBe(31);
  });

  it('compile with tsc', async () => {
    const out = await typeCheck(written.map((w) => w.file));
    expect(out.split('\n').filter((l) => /error TS/.test(l))).toEqual([]);
  }, 120_000);

  it('load, and type exactly the inputs listInputs reports, in form order', () => {
    for (const w of written) {
      const handle = (require(w.file) as { default: TypedWorkflow<WorkflowSpec, never> }).default;
      const loaded = Workflow.fromJson(w.source.text);
      expect(handle.inputs.map((i) => [i.nodeId, i.fieldName, i.kind, i.value])).toEqual(listInputs(loaded).map((i) => [i.nodeId, i.fieldName, i.kind, i.value]));
      expect(Workflow.toObject(handle.draft)).toEqual(Workflow.toObject(loaded));
    }
  });

  it('are the same text when generated again from the same file', () => {
    for (const w of written) {
      const again = generateWorkflowModule(Workflow.fromJson(w.source.text), { source: w.source.file, importFrom: LIB });
      expect(again.code).toBe(w.code);
    }
  });

  it('are what spec/typed/generated holds (spec/typed/README.md has the command that made them)', async () => {
    const committed = path.join(ROOT, 'spec/typed/generated');
    expect((await fs.readdir(committed)).sort()).toEqual(COMMITTED.map(([, file]) => file).sort());
    for (const [fixture, file] of COMMITTED) {
      const source = sources.find((s) => `${s.folder}/${s.file}` === fixture)!;
      const fresh = generateWorkflowModule(Workflow.fromJson(source.text), { source: source.file, importFrom: '../../../lib/index' });
      expect([file, await fs.readFile(path.join(committed, file), 'utf8')]).toEqual([fresh.fileName, fresh.code]);
    }
  });
});

describe('keys and types', () => {
  it('a repeated label gives way to nodeLabel.fieldName, then to nodeId.fieldName; outputs that share a label are keyed by node id', async () => {
    const text = await fs.readFile(path.join(ROOT, 'spec/fixtures/seed-workflows/sdxl-flux-refine.json'), 'utf8');
    const m = generateWorkflowModule(Workflow.fromJson(text), { source: 'sdxl-flux-refine.json' });
    expect(m.inputs).toEqual(expect.arrayContaining(['Flux Domain Transfer.num_steps', 'Flux Refinement.num_steps', '4414d4b5-82c3-4513-8c3f-86d88c24aadc.board', 'Scheduler']));
    expect(m.inputs).not.toContain('Num Steps');
    expect(new Set(m.inputs).size).toBe(25);
    expect(m.outputs).toEqual(['4414d4b5-82c3-4513-8c3f-86d88c24aadc', '67e997b2-2d56-43f4-8d2e-886c04e18d9f', 'abc466fe-12eb-48a5-87d8-488c8bda180f']);
    expect(m.code).toContain("readonly 'CFG Scale'?: number | readonly number[];");
    expect(m.code).toMatch(/readonly Scheduler\?:\n {4}\| 'ddim'\n {4}\| 'ddpm'/);
  });

  it('required inputs without a value lose their `?` and make up the Required type', async () => {
    const text = await fs.readFile(path.join(ROOT, 'spec/fixtures/default-workflows/FLUX Image to Image.json'), 'utf8');
    const m = generateWorkflowModule(Workflow.fromJson(text), { source: 'FLUX Image to Image.json' });
    expect(m.required).toEqual(['Model (dev variant recommended for Image-to-Image)', 'Image']);
    expect(m.code).toContain("export type FluxImageToImageRequired = 'Model (dev variant recommended for Image-to-Image)' | 'Image';");
    expect(m.code).toContain('  readonly Image: ImageInput;');
    expect(m.code).toContain("  readonly 'T5 Encoder'?: ModelInput<{ type: 't5_encoder' }> | ModelName;");
    // A required input that has a value (the prompt) is not missing.
    expect(m.code).toContain('  readonly Prompt?: string;');
  });

  it('an input fed by an edge is left out of the types but keeps its row, and the user is told', async () => {
    const json = await sd15((j) => j.edges.push({ id: 'e-width', type: 'default', source: RAND_INT, sourceHandle: 'value', target: NOISE, targetHandle: 'width' }));
    const m = generateWorkflowModule(Workflow.fromObject(json), { source: 'sd15.json' });
    expect(m.inputs).not.toContain('Width');
    expect(m.code).toContain('// #3 "Width" takes no value: an edge feeds it.');
    expect(m.code).toContain(`[null, '${NOISE}.width', 'integer'],`);
    expect(m.warnings).toEqual(['input #3 "Width" takes no value (an edge feeds it); it is left out of the types']);
  });

  it('a node type the templates do not know types its inputs as unknown, with a warning', async () => {
    const json = await sd15((j) => {
      node(j, NOISE).data.type = 'my_noise';
    });
    const m = generateWorkflowModule(Workflow.fromObject(json), { source: 'custom.json' });
    // Without a template the label is the field's name.
    expect(m.code).toContain('  readonly width?: unknown;');
    expect(m.warnings).toEqual([
      `node "${NOISE}" (type "my_noise", version "1.0.2"): the templates do not know its type, so its inputs are typed unknown and a server without that node rejects the workflow (--templates with the server's URL types it as that server does)`,
    ]);
  });

  it('templates from a server carry their descriptions into the doc comments (not into the embedded templates)', async () => {
    const openapi = JSON.parse(await fs.readFile(path.join(ROOT, 'lib/testing/data/openapi.json'), 'utf8')) as unknown;
    const templates = templatesFromOpenApi(openapi);
    const m = generateWorkflowModule(Workflow.fromJson(await fs.readFile(SD15, 'utf8'), { templates }), { source: 'sd15.json' });
    expect(m.code).toContain(`   * ${templates['noise']!.inputs['width']!.description}`);
    expect(m.code.slice(m.code.indexOf('const templates'))).not.toMatch(/description: '[^']/);
  });
});

describe('names and options that could break the module', () => {
  it('a file named like what the module imports or declares, and enum options with `|`, quotes and comment ends', async () => {
    const seed = await fs.readFile(path.join(ROOT, 'spec/fixtures/seed-workflows/sdxl-text-to-image.json'), 'utf8');
    const denoise = defaultTemplates['denoise_latents']!;
    const scheduler = denoise.inputs['scheduler']!;
    const odd = "odd | option */ '\n";
    const templates = { ...defaultTemplates, denoise_latents: { ...denoise, inputs: { ...denoise.inputs, scheduler: { ...scheduler, constraints: { ...scheduler.constraints, options: [...scheduler.constraints.options!, odd] } } } } };
    const files: string[] = [];
    for (const source of ['Workflow.json', 'templates.json', 'Image Input.json', 'typed workflow.json']) {
      const m = generateWorkflowModule(Workflow.fromJson(seed, { templates }), { source, importFrom: LIB });
      const file = path.join(dir, 'names', m.fileName);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, `${m.code}\nexport const odd = ${m.exportName}.set({ Scheduler: ${JSON.stringify(odd)} }).get('Scheduler');\n`);
      files.push(file);
    }
    expect(files.map((f) => path.basename(f))).toEqual(['workflow.ts', 'templates.ts', 'image-input.ts', 'typed-workflow.ts']);
    expect(await typeCheck(files)).toBe('');
    expect((require(files[2]) as { odd: unknown }).odd).toBe(odd);
    const code = await fs.readFile(files[0], 'utf8');
    expect(code).toContain('export interface WorkflowWorkflow {');
    expect(await fs.readFile(files[1], 'utf8')).toContain('export const templatesWorkflow = typedWorkflow<Templates, never>(');
    expect(await fs.readFile(files[3], 'utf8')).toContain('export const typedWorkflowWorkflow = typedWorkflow<TypedWorkflow, never>(');
    expect(code).toContain("    | 'odd | option */ \\'\\n'");
  }, 60_000);
});

describe('a hostile workflow', () => {
  it('still makes one valid module whose keys are the labels as they are', async () => {
    const json = await hostile();
    const m = generateWorkflowModule(Workflow.fromObject(json), { source: "we'ird */ name.json", importFrom: LIB });
    // A label that looks like an index is not one: "3" is keyed by its node.
    expect(m.inputs).toEqual(['Model', HOSTILE_LABEL, '__proto__', 'Width', 'Create Latent Noise.height', 'Board']);
    const file = path.join(dir, 'hostile', m.fileName);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, `${m.code}\nexport const edited = ${m.exportName}.set({ ${JSON.stringify(HOSTILE_LABEL)}: 'a fox', ['__proto__']: 'blurry', 'Create Latent Noise.height': 512 });\n`);
    expect(await typeCheck([file])).toBe('');
    const loaded = require(file) as { edited: TypedWorkflow<WorkflowSpec, never> };
    expect(loaded.edited.inputs.map((i) => i.value)).toEqual([undefined, 'a fox', 'blurry', 512, 512, undefined]);
  }, 60_000);
});
