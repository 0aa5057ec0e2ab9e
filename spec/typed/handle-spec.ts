// The typed handle of generated modules (spec/typed/generated/, made by `invokeai-rx codegen` from
// the fixtures): `npm test` type-checks this file first, so every `@ts-expect-error` line below must
// be a compile error (an unused one fails tsc). Jest then runs the same calls: what tsc refuses
// also fails at run time, and what it accepts runs against the simulated server.
import { lastValueFrom, toArray } from 'rxjs';
import { createClient, createPool, exposeInput, hideInput, InputError, ofType, syncModels, TypedWorkflowError, type InvokeAIClient, type ModelConfig, type Workflow, images, models as modelsOf } from '../../lib';
import { renderPng } from '../../lib/testing/png';
import { startMockServer, type MockServer } from '../../lib/testing';
import { sdxlFluxRefine as refine } from './generated/sdxl-flux-refine';
import { textToImageSdxl as sdxl } from './generated/text-to-image-sdxl';
import { textToVideoWan22Lightning as wan } from './generated/text-to-video-wan-2-2-lightning';
import { wan22ImageToImage as i2i } from './generated/wan-2-2-image-to-image';

const SDXL_OUT = 'Latents to Image - SD1.5, SDXL';

let server: MockServer;
let client: InvokeAIClient;
let models: readonly ModelConfig[];
beforeAll(async () => {
  server = await startMockServer({ stepMs: 1, steps: 2 });
  client = createClient({ baseUrl: server.url });
  models = await modelsOf(client).list();
});
afterAll(async () => {
  client.close();
  await server.close();
});

/** The SDXL workflow with both of its required models set. */
const sdxlWithModels = () =>
  sdxl.set({ Model: sdxl.modelsFor('Model', models)[0], 'VAE (use the FP16 model)': sdxl.modelsFor('VAE (use the FP16 model)', models).find((m) => m.base === 'sdxl')! });

describe('what tsc refuses (and the run-time checks refuse too)', () => {
  it('a label the workflow does not have', () => {
    // @ts-expect-error 'Positive Promt' is not an input of Text to Image - SDXL
    expect(() => sdxl.set({ 'Positive Promt': 'a fox' })).toThrow(/"Positive Promt" is not a settable input of "Text to Image - SDXL.json"; its inputs are "Positive Prompt"/);
    // @ts-expect-error the form has 5 inputs: there is no #5
    expect(() => sdxl.set({ 5: 'a fox' })).toThrow(InputError);
    // @ts-expect-error nor a sweep over it
    expect(() => sdxl.sweep({ Seed: [1, 2] })).toThrow(/"Seed" is not a settable input/);
  });

  it('a value of the wrong type, by label or by index', () => {
    // @ts-expect-error the prompt is a string
    expect(() => sdxl.set({ 'Positive Prompt': 42 })).toThrow(/Input #0 "Positive Prompt" .* cannot take 42: it must be a string/);
    // @ts-expect-error #1 is the negative prompt, a string too
    expect(() => sdxl.set({ 1: true })).toThrow(/must be a string/);
    // @ts-expect-error 'eulr' is no scheduler
    expect(() => refine.set({ Scheduler: 'eulr' })).toThrow(/must be one of "ddim"/);
    // @ts-expect-error steps are a number
    expect(() => refine.set({ Steps: '20' })).toThrow(/must be an integer/);
  });

  it('a model whose base or type the input does not accept', () => {
    const { key, hash, name } = models.find((m) => m.base === 'flux' && m.type === 'main')!;
    const fluxMain = { key, hash: hash ?? '', name, base: 'flux', type: 'main' } as const;
    // @ts-expect-error the SDXL workflow's model input takes SDXL main models only
    expect(() => sdxl.set({ Model: fluxMain })).toThrow(/must be a model of base sdxl/);
    const sdxlVae = sdxl.modelsFor(3, models).find((m) => m.base === 'sdxl')!;
    // @ts-expect-error a VAE is not a main model
    expect(() => sdxl.set({ Model: sdxlVae })).toThrow(/must be a model of type main/);
  });

  it('a run while a required input has no value', async () => {
    const prompted = sdxl.set({ 'Positive Prompt': 'a fox' });
    // @ts-expect-error Model and VAE have no value yet: `workflow` is not a Workflow
    const wf: Workflow = prompted.workflow;
    // @ts-expect-error neither is it when only one of them is set
    const half: Workflow = prompted.set({ Model: sdxl.modelsFor('Model', models)[0] }).workflow;
    // (Compiled, never called:)
    // @ts-expect-error the handle's own submit needs them too
    const submitting = () => prompted.submit(client);
    // @ts-expect-error a sweep over another input does not make up for them
    const sweeping = () => prompted.submit(client, { sweep: { values: { Board: ['none'] } } });
    void [submitting, sweeping, half];
    // At run time the same value is refused before it is enqueued, naming what is missing.
    expect(() => prompted.ready()).toThrow(/"Model" .* is required but has no value/);
    const result = await client.submit(wf);
    expect(result.items.map((i) => i.status)).toEqual(['failed']);
  });

  it('outputs the node does not make', () => {
    const item = { outputs: [] };
    // @ts-expect-error Latents to Image makes images, not videos
    expect(sdxl.outputs(item)[SDXL_OUT].videos).toEqual([]);
    // @ts-expect-error the Wan workflow makes videos, not images
    expect(wan.outputs(item)['Latents to Video - Wan 2.2'].images).toEqual([]);
    // @ts-expect-error and has no output node of that name
    expect(wan.outputs(item)['Save Image']).toBeUndefined();
  });
});

describe('what tsc accepts runs', () => {
  it('sets inputs by label and index, typed as their fields are, and runs with the client', async () => {
    const t2i = sdxlWithModels().set({ 'Positive Prompt': 'a fox', 1: 'blurry', Board: 'none' });
    expect(t2i.get('Positive Prompt')).toBe('a fox');
    expect(t2i.get(1)).toBe('blurry');
    expect(t2i.get('Model')).toMatchObject({ base: 'sdxl', type: 'main' });
    // The same immutable value for the ordinary client: the handle it came from never changes.
    expect(sdxl.get('Positive Prompt')).toMatch(/^Super cute tiger cub/);
    const result = await client.submit(t2i.workflow, { sweep: t2i.sweep({ 'Positive Prompt': ['a fox', 'a whale'] }) });
    expect(result.items.map((i) => i.status)).toEqual(['completed', 'completed']);
    const images = result.items.map((i) => t2i.outputs(i)[SDXL_OUT].images);
    expect(images.map((list) => list.length)).toEqual([1, 1]);
    expect(images[0][0].imageName).not.toBe(images[1][0].imageName);
  });

  it('a model may be named instead: the run looks it up on the server and checks it there', async () => {
    const named = sdxl.set({ Model: 'juggernautXL_v9', 3: 'sdxl-vae-fp16-fix', 'Positive Prompt': 'a fox' });
    expect((await named.submit(client)).items.map((i) => i.status)).toEqual(['completed']);
    await expect(sdxl.set({ Model: 'flux1-dev', 3: 'sdxl-vae-fp16-fix' }).submit(client)).rejects.toThrow(InputError);
  });

  it('submits through the handle with a typed sweep; each item carries byOutput', async () => {
    const t2i = sdxlWithModels();
    const result = await t2i.submit(client, { sweep: { values: { 0: ['a', 'b', 'c'] } }, runs: 1 });
    expect(result.items).toHaveLength(3);
    for (const item of result.items) {
      expect(item.status).toBe('completed');
      expect(item.byOutput[SDXL_OUT].images).toHaveLength(1);
      expect(item.byOutput[SDXL_OUT].nodeType).toBe('l2i');
    }
  });

  it('streams with run(): completed events carry byOutput, the other events are the client’s own', async () => {
    const events = await lastValueFrom(sdxlWithModels().run(client).pipe(toArray()));
    const completed = events.filter((e) => e.type === 'completed');
    expect(completed).toHaveLength(1);
    const [done] = await lastValueFrom(sdxlWithModels().run(client).pipe(ofType('completed'), toArray()));
    expect(done.byOutput[SDXL_OUT].images[0].width).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'node_progress')).toBe(true);
  });

  it('a sweep over a required input stands for its value: image-to-image over two uploads', async () => {
    const uploads = await Promise.all(['a', 'b'].map((k) => images(client).upload(renderPng(64, 64, k))));
    const edit = i2i.set({ Transformer: i2i.modelsFor('Transformer', models)[0], 'Positive Prompt.prompt': 'in the style of a woodcut' });
    const result = await edit.submit(client, { sweep: { values: { 'Reference Image': uploads.map((u) => u.image_name) } } });
    expect(result.items.map((i) => i.status)).toEqual(['completed', 'completed']);
    expect(result.items.every((i) => i.byOutput['Latents to Image - Wan 2.2'].images.length === 1)).toBe(true);
    // The same with the required image left out altogether does not compile.
    // @ts-expect-error 'Reference Image' has no value and is not swept
    const unswept = () => edit.submit(client, { sweep: { values: { Steps: [10, 20] } } });
    void unswept;
  });

  it('videos are typed as videos', async () => {
    const lora = wan.modelsFor('Lightning LoRA (High Noise)', models)[0];
    const video = await wan
      .set({ Prompt: 'a whale', 'Transformer (High Noise)': wan.modelsFor('Transformer (High Noise)', models)[0], 'Lightning LoRA (High Noise)': lora, 'Lightning LoRA (Low Noise)': lora, Width: 832 })
      .submit(client);
    expect(video.items[0].status).toBe('completed');
    expect(video.items[0].byOutput['Latents to Video - Wan 2.2'].videos).toHaveLength(1);
  });

  it('runs on a pool: the pool’s items keep their server and gain byOutput', async () => {
    const other = await startMockServer({ stepMs: 1, steps: 2 });
    const pool = createPool([server.url, other.url]);
    try {
      const result = await sdxlWithModels().submit(pool, { sweep: sdxl.sweep({ 'Positive Prompt': ['x', 'y', 'z', 'w'] }) });
      expect(result.items).toHaveLength(4);
      for (const item of result.items) {
        expect(item.server.url).toMatch(/^http/);
        expect(item.byOutput[SDXL_OUT].images).toHaveLength(1);
      }
    } finally {
      pool.close();
      await other.close();
    }
  });

  it('duplicate labels get node keys; outputs that share a label are keyed by node id', () => {
    const edited = refine.set({ 'Flux Refinement.num_steps': 12, 'Flux Domain Transfer.num_steps': 8, Scheduler: 'euler', 'CFG Scale': [7, 7.5] });
    expect(edited.get('Flux Refinement.num_steps')).toBe(12);
    expect(edited.get(18)).toBe(8);
    expect(Object.keys(refine.outputs({ outputs: [] }))).toEqual(['4414d4b5-82c3-4513-8c3f-86d88c24aadc', '67e997b2-2d56-43f4-8d2e-886c04e18d9f', 'abc466fe-12eb-48a5-87d8-488c8bda180f']);
  });
});

describe('rules the types cannot carry are checked when set, by setInput’s own checks', () => {
  it('multiples, bounds and list lengths', () => {
    expect(() => wan.set({ Width: 830 })).toThrow(/Input #1 "Width" .* cannot take 830: it must be a multiple of 16/);
    expect(() => wan.set({ FPS: 500 })).toThrow(/must be <= 120/);
    expect(() => wan.set({ Steps: 0 })).toThrow(/must be > 0/);
    expect(() => refine.set({ 'Control Weight': 3 })).toThrow(/must be <= 2/);
  });

  it('several problems are reported at once, each naming its input', () => {
    const error = (() => {
      try {
        wan.set({ Width: 830, Height: 479, Prompt: 'ok' });
      } catch (e) {
        return e as InputError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect(error?.issues.map((i) => [i.code, i.ref.replace(/^.*\./, '')])).toEqual([
      ['constraint', 'width'],
      ['constraint', 'height'],
    ]);
    expect(error?.message).toMatch(/2 input problems:\n  - Input #1 "Width" .* multiple of 16.*\n  - Input #2 "Height" .* multiple of 16/);
  });

  it('the same input given twice (label and index) is refused, not silently overwritten', () => {
    expect(() => sdxl.set({ 'Positive Prompt': 'a', 0: 'b' })).toThrow(/"0" and "Positive Prompt" both name input #0|"Positive Prompt" and "0" both name input #0/);
  });
});

describe('untyped edits', () => {
  it('map() keeps the handle when the typed form stays as it was, and ready() checks at run time', async () => {
    const synced = sdxl.map((wf) => syncModels(wf, models, { byBase: true }).workflow);
    // @ts-expect-error syncModels is not checked by tsc: the models are still missing as far as it knows
    const stillUnknown: Workflow = synced.workflow;
    const ready = synced.map(exposeInput('noise.width', { label: 'Width' })).ready();
    expect(ready.inputs.map((i) => i.label)).toEqual(['Positive Prompt', 'Negative Prompt', 'Model', 'VAE (use the FP16 model)', 'Board', 'Width']);
    const result = await client.submit(ready.workflow);
    expect(result.items[0].status).toBe('completed');
    expect(stillUnknown).toBe(synced.draft);
  });

  it('an edit that moves or removes a typed input is a TypedWorkflowError that says to regenerate', () => {
    expect(() => sdxl.map(hideInput('Positive Prompt'))).toThrow(TypedWorkflowError);
    expect(() => sdxl.map(hideInput('Positive Prompt'))).toThrow(
      /input #0 is "Negative Prompt" .* where the types expect "Positive Prompt" .* Regenerate the module \(npx invokeai-rx codegen "Text to Image - SDXL.json"\)/,
    );
  });
});
