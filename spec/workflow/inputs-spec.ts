import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { InputError } from '../../lib/workflow/errors';
import { getInput, listInputs, setInput, setInputs, trySetInput } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import { catchInputError, deepFreeze, fixtureNames, readFixtureText, smallTemplates, smallWorkflow, smallWorkflowAllFields } from './helpers';
import { defaultWorkflow, seedWorkflow } from './workflow-fixtures';

const load = (obj: Record<string, unknown> = smallWorkflow()) => Workflow.fromObject(obj, { templates: smallTemplates });

describe('listInputs', () => {
  it('walks the form depth-first in pre-order from form.rootElementId, rows included', () => {
    const inputs = listInputs(load());
    expect(inputs.map((i) => `${i.nodeId}.${i.fieldName}`)).toEqual(['a.prompt', 'a.seed', 'a.width', 'b.prompt', 'b.seed']);
    expect(inputs.map((i) => i.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('fills every WorkflowInput field from the node and its template', () => {
    const [prompt, , , bPrompt, bSeed] = listInputs(load());
    expect(prompt).toMatchObject({
      nodeId: 'a',
      nodeType: 'gen',
      nodeLabel: 'Generator', // empty node label: template title
      fieldName: 'prompt',
      label: 'Positive Prompt',
      description: 'prompt description', // empty description: template's
      kind: 'string',
      value: 'hello',
      required: false,
      input: 'any',
      constraints: { maxLength: 20 },
      connected: false,
    });
    expect(prompt.template?.name).toBe('prompt');
    expect(bPrompt).toMatchObject({ nodeLabel: 'Refiner', label: 'Prompt' }); // empty field label: template title
    expect(bSeed.connected).toBe(true);
  });

  it('gives inputs of node types the templates do not know the kind unknown, keeping their values', () => {
    const obj = smallWorkflow() as any;
    obj.nodes[0].data.type = 'custom_pack_node';
    const inputs = listInputs(load(obj));
    expect(inputs[0]).toMatchObject({ nodeType: 'custom_pack_node', kind: 'unknown', value: 'hello', label: 'Positive Prompt', nodeLabel: 'custom_pack_node' });
    expect(inputs[0].template).toBeUndefined();
    const wf = pipe(load(obj), setInput('a.seed', { anything: ['goes'] }));
    expect(getInput(wf, 'a.seed').value).toEqual({ anything: ['goes'] });
  });

  it('returns the same list for the same value (memoised), a new one after an edit', () => {
    const wf = load();
    expect(listInputs(wf)).toBe(listInputs(wf));
    const next = pipe(wf, setInput('a.seed', 5));
    expect(listInputs(next)).not.toBe(listInputs(wf));
    expect(listInputs(next)[1].value).toBe(5);
    expect(listInputs(wf)[1].value).toBe(1);
  });
});

describe('input refs', () => {
  const wf = load();
  it.each([
    [0, 'a.prompt'],
    [4, 'b.seed'],
    ['Positive Prompt', 'a.prompt'], // label
    ['width', 'a.width'], // field name
    ['a.seed', 'a.seed'], // nodeId.fieldName
    ['Refiner.prompt', 'b.prompt'], // nodeLabel.fieldName
    ['Generator.seed', 'a.seed'], // template title as node label
    ['positive prompt', 'a.prompt'], // a label in another case, naming one input
    ['REFINER.PROMPT', 'b.prompt'], // nodeLabel.fieldName in another case
    ['Prompt', 'b.prompt'], // the exact spelling (b's title) wins over 'prompt', the field name of both
  ] as const)('%p names %s', (ref, expected) => {
    const i = getInput(wf, ref);
    expect(`${i.nodeId}.${i.fieldName}`).toBe(expected);
  });

  it('refuses an ambiguous ref and lists the candidates', () => {
    const err = catchInputError(() => getInput(wf, 'Seed'));
    expect(err.name).toBe('InputError');
    expect(err.issues[0].code).toBe('ambiguous-ref');
    expect(err.issues[0].candidates).toHaveLength(2);
    expect(err.message).toContain('a.seed');
    expect(err.message).toContain('b.seed');
    expect(err.message).toContain('#1');
    expect(err.message).toContain('#4');
  });

  it('refuses a ref that only names one input when case is ignored if it names several that way', () => {
    const err = catchInputError(() => getInput(wf, 'SEED'));
    expect(err.issues[0].code).toBe('ambiguous-ref');
    expect(err.message).toContain('"SEED" names 2 inputs (ignoring case)');
  });

  it('refuses an unknown ref or index and lists every input', () => {
    const byName = catchInputError(() => getInput(wf, 'steps'));
    expect(byName.issues[0].code).toBe('unknown-ref');
    expect(byName.issues[0].candidates).toHaveLength(5);
    expect(byName.message).toContain('"steps"');
    expect(byName.message).toContain('Positive Prompt');
    for (const bad of [5, -1, 1.5]) {
      const e = catchInputError(() => getInput(wf, bad));
      expect(e.issues[0].code).toBe('unknown-ref');
      expect(e.message).toContain('indices 0-4');
    }
  });
});

describe('setInput / setInputs / trySetInput', () => {
  it('sets by each ref form, data-last, and leaves the frozen input workflow and object unchanged', () => {
    const obj = deepFreeze(smallWorkflow());
    const before = JSON.parse(JSON.stringify(obj));
    const wf = load(obj);
    const wfBefore = JSON.parse(JSON.stringify(wf.json));
    const next = pipe(
      wf,
      setInput(0, 'first'),
      setInput('width', 1024),
      setInput('a.seed', 7),
      setInput('Refiner.prompt', 'second'),
    );
    expect(listInputs(next).map((i) => i.value)).toEqual(['first', 7, 1024, 'second', 1]);
    expect(obj).toEqual(before);
    expect(wf.json).toEqual(wfBefore);
    expect(listInputs(wf).map((i) => i.value)).toEqual(['hello', 1, 512, 'bye', 1]);
    const a = next.json.nodes[0];
    expect(a.type === 'invocation' && Object.isFrozen(a.data.inputs.prompt)).toBe(true);
    // Structural sharing: untouched nodes are the same objects.
    expect(next.json.nodes[2]).toBe(wf.json.nodes[2]);
    expect(next.json.form).toBe(wf.json.form);
  });

  it('does not freeze or keep the caller value object', () => {
    const wf = load(smallWorkflowAllFields());
    const color = { r: 10, g: 20, b: 30, a: 40 };
    const next = pipe(wf, setInput('a.color', color));
    expect(Object.isFrozen(color)).toBe(false);
    color.r = 99;
    expect(getInput(next, 'a.color').value).toEqual({ r: 10, g: 20, b: 30, a: 40 });
  });

  it('setInputs sets several refs at once, numeric keys being indices', () => {
    const wf = pipe(load(), setInputs({ 0: 'p', width: 64, 'Refiner.prompt': 'q' }));
    expect(listInputs(wf).map((i) => i.value)).toEqual(['p', 1, 64, 'q', 1]);
  });

  it('setInputs reports every problem in one error and sets nothing', () => {
    const wf = load();
    const err = catchInputError(() => pipe(wf, setInputs({ width: 7, nope: 1, 'a.seed': 'x' })));
    expect(err.issues.map((i) => i.code)).toEqual(['constraint', 'unknown-ref', 'wrong-kind']);
  });

  it('refuses to set an input that an edge feeds, and says so', () => {
    const err = catchInputError(() => pipe(load(), setInput('b.seed', 3)));
    expect(err.issues[0].code).toBe('connected');
    expect(err.message).toMatch(/fed by an edge from s\.value/);
  });

  it('trySetInput returns an Either', () => {
    const wf = load();
    const ok = trySetInput('a.seed', 9)(wf);
    expect(E.isRight(ok) && getInput(ok.right, 'a.seed').value).toBe(9);
    const bad = trySetInput('a.seed', -1)(wf);
    expect(E.isLeft(bad) && bad.left).toBeInstanceOf(InputError);
  });

  describe('value checks by kind', () => {
    const wf = load(smallWorkflowAllFields());
    const accepted: [string, unknown, unknown][] = [
      ['a.prompt', 'x'.repeat(20), 'x'.repeat(20)],
      ['a.seed', 100, 100],
      ['a.width', 8, 8],
      ['a.cfg', 7.5, 7.5],
      ['a.tiled', true, true],
      ['a.scheduler', 'ddim', 'ddim'],
      ['a.image', 'cat.png', { image_name: 'cat.png' }],
      ['a.image', { image_name: 'dog.png' }, { image_name: 'dog.png' }],
      ['a.image', null, undefined],
      ['a.board', 'none', 'none'],
      ['a.board', 'auto', 'auto'],
      ['a.board', 'board-123', { board_id: 'board-123' }],
      ['a.board', { board_id: 'b-1' }, { board_id: 'b-1' }],
      ['a.model', { key: 'k2', hash: 'h', name: 'm', base: 'sdxl', type: 'main' }, { key: 'k2', hash: 'h', name: 'm', base: 'sdxl', type: 'main' }],
      ['a.color', { r: 0, g: 255, b: 3, a: 4 }, { r: 0, g: 255, b: 3, a: 4 }],
      ['a.numbers', [1, 2, 3], [1, 2, 3]],
    ];
    it.each(accepted)('%s accepts %j', (ref, value, stored) => {
      expect(getInput(pipe(wf, setInput(ref, value)), ref).value).toEqual(stored);
    });

    const refused: [string, unknown, RegExp][] = [
      ['a.prompt', 3, /must be a string/],
      ['a.prompt', 'x'.repeat(21), /at most 20 characters/],
      ['a.seed', 1.5, /must be an integer/],
      ['a.seed', '3', /must be an integer/],
      ['a.seed', 101, /must be <= 100/],
      ['a.seed', -1, /must be >= 0/],
      ['a.seed', undefined, /needs a value/],
      ['a.width', 0, /must be > 0/],
      ['a.width', 12, /multiple of 8/],
      ['a.cfg', Number.NaN, /finite number/],
      ['a.tiled', 'yes', /true or false/],
      ['a.scheduler', 'dpmpp', /must be one of "euler", "ddim"/],
      ['a.image', { name: 'x' }, /image name or \{image_name\}/],
      ['a.board', 42, /'auto', 'none'/],
      ['a.model', { key: 'k' }, /model identifier/],
      ['a.model', { key: 'k', hash: 'h', name: 'n', base: 'flux', type: 'main' }, /base sdxl/],
      ['a.model', { key: 'k', hash: 'h', name: 'n', base: 'sdxl', type: 'vae' }, /type main/],
      ['a.color', { r: 256, g: 0, b: 0, a: 0 }, /integers 0-255/],
      ['a.color', { r: 1.5, g: 0, b: 0, a: 0 }, /integers 0-255/],
      ['a.numbers', [], /at least 1 items/],
      ['a.numbers', [1, 2, 3, 4], /at most 3 items/],
      ['a.numbers', [1, 'two'], /item 1 must be an integer/],
      ['a.numbers', 5, /must be a list of integer/],
      ['a.latents', { latents_name: 'x' }, /connection-only/],
    ];
    it.each(refused)('%s refuses %p', (ref, value, rule) => {
      const err = catchInputError(() => pipe(wf, setInput(ref, value)));
      expect(err.message).toMatch(rule);
      // The message names the input and the value.
      expect(err.message).toContain(ref);
      const shown = typeof value === 'number' || value === undefined ? String(value) : JSON.stringify(value);
      expect(err.message).toContain(shown);
      expect(err.issues[0].path).toMatch(/^\$\.nodes\[0\]\.data\.inputs\./);
    });
  });

  it('chained edits each see the previous ones and leave the first value untouched', () => {
    // Behaviour (not speed): many edits chain and each sees the previous ones.
    const wf = load();
    let cur = wf;
    for (let n = 0; n < 10; n++) cur = pipe(cur, setInput('a.seed', n * 10));
    expect(getInput(cur, 'a.seed').value).toBe(90);
    expect(getInput(wf, 'a.seed').value).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Real workflows, typed with the shipped InvokeAI templates

type Row = [index: number, nodeType: string, fieldName: string, kind: string, label: string];
const table = (wf: ReturnType<typeof Workflow.fromJson>): Row[] =>
  listInputs(wf).map((i) => [i.index, i.nodeType, i.fieldName, i.kind, i.label]);

describe('listInputs on the seed workflows: the index tables of the Python client hold', () => {
  // The Python client's input indices for these files (its form order), as its tests pin them.
  it('sdxl-text-to-image.json', () => {
    const wf = seedWorkflow('sdxl-text-to-image');
    expect(table(wf)).toEqual([
      [0, 'sdxl_model_loader', 'model', 'model', 'Model'],
      [1, 'string', 'value', 'string', 'positive prompt'],
      [2, 'string', 'value', 'string', 'negative prompt'],
      [3, 'noise', 'width', 'integer', 'Width'],
      [4, 'noise', 'height', 'integer', 'Height'],
      [5, 'denoise_latents', 'steps', 'integer', 'Steps'],
      [6, 'denoise_latents', 'cfg_scale', 'float', 'CFG Scale'],
      [7, 'denoise_latents', 'scheduler', 'enum', 'Scheduler'],
      [8, 'l2i', 'board', 'board', 'Board'],
    ]);
    expect(listInputs(wf).map((i) => i.value).slice(1, 8)).toEqual([
      'deep space, high quality, colorful', 'earth, star war, blurry', 768, 1024, 30, 7.5, 'dpmpp_3m_k',
    ]);
    expect((getInput(wf, 0).value as { name: string }).name).toBe('juggernautXL_v9Rundiffusionphoto2');
    expect(getInput(wf, 8).value).toBeUndefined();
  });

  it('flux-image-to-image.json', () => {
    const wf = seedWorkflow('flux-image-to-image');
    expect(table(wf).map(([i, type, name, kind]) => [i, type, name, kind])).toEqual([
      [0, 'flux_model_loader', 'model', 'model'],
      [1, 'image', 'image', 'image'],
      [2, 'flux_model_loader', 't5_encoder_model', 'model'],
      [3, 'flux_model_loader', 'clip_embed_model', 'model'],
      [4, 'flux_model_loader', 'vae_model', 'model'],
      [5, 'flux_text_encoder', 'prompt', 'string'],
      [6, 'flux_text_encoder', 'prompt', 'string'],
      [7, 'flux_denoise_meta', 'num_steps', 'integer'],
      [8, 'flux_denoise_meta', 'denoising_start', 'float'],
      [9, 'flux_vae_decode', 'board', 'board'],
    ]);
    expect([getInput(wf, 5).label, getInput(wf, 6).label]).toEqual(['Positive Prompt', 'Negative Prompt']);
    expect([getInput(wf, 7).value, getInput(wf, 8).value, getInput(wf, 9).value]).toEqual([10, 0.4, 'none']);
    expect(getInput(wf, 1).value).toEqual({ image_name: expect.stringMatching(/^e95bfe35-.*\.png$/) });
  });

  it('sdxl-flux-refine.json', () => {
    const wf = seedWorkflow('sdxl-flux-refine');
    expect(table(wf).map(([i, type, name]) => `${i} ${type}.${name}`)).toEqual([
      '0 string.value', '1 string.value', '2 integer.value', '3 integer.value',
      '4 sdxl_model_loader.model', '5 save_image.board', '6 denoise_latents_meta.scheduler', '7 denoise_latents_meta.steps',
      '8 denoise_latents_meta.cfg_scale', '9 string_join_three.string_right', '10 string_join_three.string_right',
      '11 flux_model_loader.model', '12 flux_model_loader.t5_encoder_model', '13 flux_model_loader.clip_embed_model',
      '14 flux_model_loader.vae_model', '15 model_identifier.model', '16 save_image.board', '17 float_math.b',
      '18 flux_denoise_meta.num_steps', '19 flux_controlnet.control_weight', '20 flux_model_loader.model',
      '21 save_image.board', '22 flux_denoise_meta.num_steps', '23 flux_controlnet.control_weight', '24 float_math.b',
    ]);
    // A float field whose value happens to be integral stays a float (the Python client got this wrong).
    expect(getInput(wf, 17).kind).toBe('float');
    expect(getInput(wf, 2).kind).toBe('integer');
  });

  it('copy-image.json and example-nodes.json', () => {
    const copy = seedWorkflow('copy-image');
    expect(table(copy).map(([i, type, name]) => [i, type, name])).toEqual([
      [0, 'save_image', 'image'],
      [1, 'save_image', 'board'],
    ]);
    expect(listInputs(seedWorkflow('example-nodes'))).toEqual([]);
  });
});

describe('listInputs on default workflows (reviewed tables)', () => {
  it('Text to Image - SD1.5.json (3.0.0, no form: exposedFields order)', () => {
    const wf = defaultWorkflow('Text to Image - SD1.5');
    expect(table(wf)).toEqual([
      [0, 'main_model_loader', 'model', 'model', 'Model'],
      [1, 'compel', 'prompt', 'string', 'Positive Prompt'],
      [2, 'compel', 'prompt', 'string', 'Negative Prompt'],
      [3, 'noise', 'width', 'integer', 'Width'],
      [4, 'noise', 'height', 'integer', 'Height'],
      [5, 'l2i', 'board', 'board', 'Board'],
    ]);
    expect(getInput(wf, 1).nodeLabel).toBe('Positive Compel Prompt');
    expect(getInput(wf, 3).constraints).toMatchObject({ multipleOf: 8, exclusiveMinimum: 0 });
    expect(getInput(wf, 0).constraints.modelBase).toBeDefined();
  });

  it('CogView4_TextToImage.json (root element is not "root"; headings, text and dividers skipped)', () => {
    const wf = defaultWorkflow('CogView4_TextToImage');
    expect(table(wf)).toEqual([
      [0, 'cogview4_text_encoder', 'prompt', 'string', 'Positive Prompt'],
      [1, 'cogview4_text_encoder', 'prompt', 'string', 'Negative Prompt'],
      [2, 'cogview4_model_loader', 'model', 'model', 'Model'],
    ]);
  });

  it('Image to Video - Wan 2.2 TI2V-5B (Low Quality).json (nested containers, pre-order)', () => {
    const wf = defaultWorkflow('Image to Video - Wan 2.2 TI2V-5B (Low Quality)');
    expect(table(wf)).toEqual([
      [0, 'wan_text_encoder', 'prompt', 'string', 'Prompt'],
      [1, 'image', 'image', 'image', 'Initial Image'],
      [2, 'wan_video_denoise', 'steps', 'integer', 'Steps'],
      [3, 'wan_video_denoise', 'num_frames', 'integer', 'Frames'],
      [4, 'wan_l2v', 'fps', 'integer', 'FPS'],
      [5, 'wan_model_loader', 'model', 'model', 'Transformer (High Noise)'],
      [6, 'wan_video_denoise', 'guidance_scale', 'float', 'CFG (High Noise)'],
      [7, 'wan_model_loader', 'wan_t5_encoder_model', 'model', 'Wan T5 Encoder'],
      [8, 'wan_model_loader', 'vae_model', 'model', 'VAE'],
      [9, 'wan_model_loader', 'component_source', 'model', 'Component Source (Diffusers)'],
    ]);
    expect(getInput(wf, 0).nodeLabel).toBe('Positive Prompt');
    // `value: null` in the file decodes to an absent value.
    expect(getInput(wf, 5).value).toBeUndefined();
  });

  it.each([...fixtureNames('default-workflows').map((f) => ['default-workflows', f]), ...fixtureNames('seed-workflows').map((f) => ['seed-workflows', f])])(
    'snapshot of %s/%s',
    (dir, name) => {
      const wf = Workflow.fromJson(readFixtureText(dir, name));
      expect(listInputs(wf).map((i) => `${i.index} ${i.nodeType}.${i.fieldName} ${i.kind}${i.itemKind ? `<${i.itemKind}>` : ''} "${i.label}" = ${JSON.stringify(i.value)?.slice(0, 60)}${i.connected ? ' (connected)' : ''}`)).toMatchSnapshot();
    },
  );
});
