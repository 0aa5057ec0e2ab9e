import { readFileSync } from 'fs';
import { TemplatesError, templatesFromOpenApi } from '../../lib/workflow/templates';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import { DEFAULT_OPENAPI } from '../tools/generate-templates';

const openapi: unknown = JSON.parse(readFileSync(DEFAULT_OPENAPI, 'utf8'));
const derived = templatesFromOpenApi(openapi);

const field = (type: string, name: string) => {
  const f = offlineTemplates[type]?.inputs[name];
  if (f === undefined) throw new Error(`no ${type}.${name}`);
  return f;
};

describe('templatesFromOpenApi', () => {
  it('reads every invocation schema of the document (307 node types)', () => {
    expect(Object.keys(derived)).toHaveLength(307);
  });

  it('tells integers from floats', () => {
    expect(field('noise', 'width').kind).toBe('integer');
    expect(field('noise', 'seed').kind).toBe('integer');
    expect(field('denoise_latents', 'denoising_start').kind).toBe('float');
    expect(field('float_math', 'b').kind).toBe('float');
    expect(field('integer', 'value').kind).toBe('integer');
    expect(field('float', 'value').kind).toBe('float');
  });

  it('keeps numeric constraints: l2i.tile_size is an integer with multipleOf 8', () => {
    const f = field('l2i', 'tile_size');
    expect(f).toMatchObject({ kind: 'integer', default: 0, constraints: { multipleOf: 8 }, required: false, input: 'any' });
    expect(field('denoise_latents', 'denoising_start').constraints).toEqual({ minimum: 0, maximum: 1 });
    expect(field('denoise_latents', 'steps').constraints).toEqual({ exclusiveMinimum: 0 });
  });

  it('types model inputs with their base and type', () => {
    expect(field('main_model_loader', 'model')).toMatchObject({
      kind: 'model',
      typeName: 'ModelIdentifierField',
      required: true,
      nullable: true,
      constraints: { modelBase: ['sd-1', 'sd-2'], modelType: ['main'] },
    });
    expect(field('sdxl_model_loader', 'model').constraints.modelBase).toEqual(['sdxl']);
  });

  it('lists enum options: the scheduler contains euler and defaults to it', () => {
    const f = field('denoise_latents', 'scheduler');
    expect(f.kind).toBe('enum');
    expect(f.typeName).toBe('SchedulerField');
    expect(f.constraints.options).toContain('euler');
    expect(f.constraints.options).toContain('dpmpp_3m_k');
    expect(f.default).toBe('euler');
    expect(field('integer_batch', 'batch_group_id').constraints.options).toEqual(['None', 'Group 1', 'Group 2', 'Group 3', 'Group 4', 'Group 5']);
  });

  it('reads enums that are $ref schemas', () => {
    const doc = {
      components: {
        schemas: {
          Mode: { enum: ['a', 'b'], type: 'string', title: 'Mode' },
          XInvocation: {
            class: 'invocation',
            title: 'X',
            version: '1.0.0',
            properties: {
              id: { type: 'string', field_kind: 'node_attribute' },
              type: { const: 'x', default: 'x', field_kind: 'node_attribute', type: 'string' },
              mode: { $ref: '#/components/schemas/Mode', default: 'a', orig_default: 'a', orig_required: false, field_kind: 'input', input: 'any' },
            },
            required: ['type', 'id'],
          },
        },
      },
    };
    const t = templatesFromOpenApi(doc);
    expect(t['x']?.inputs['mode']).toMatchObject({ kind: 'enum', typeName: 'Mode', default: 'a', constraints: { options: ['a', 'b'] } });
    expect(t['x']?.nodePack).toBe('invokeai');
    expect(t['x']?.useCache).toBe(true);
  });

  it('marks board as an internal direct input and metadata as internal connection-only', () => {
    expect(field('l2i', 'board')).toMatchObject({ kind: 'board', fieldKind: 'internal', input: 'direct', required: false, nullable: true });
    expect(field('l2i', 'metadata')).toMatchObject({ kind: 'connection', fieldKind: 'internal', input: 'connection' });
  });

  it('marks structured pipeline values connection-only and other structured values as objects', () => {
    expect(field('l2i', 'latents')).toMatchObject({ kind: 'connection', typeName: 'LatentsField', input: 'connection', required: true });
    expect(field('l2i', 'vae').kind).toBe('connection');
    expect(field('denoise_latents', 'unet').kind).toBe('connection');
    expect(field('denoise_latents', 'positive_conditioning').kind).toBe('connection');
    expect(field('float_generator', 'generator')).toMatchObject({ kind: 'object', typeName: 'FloatGeneratorField', input: 'direct' });
  });

  it('knows images, videos, colors and collections with their item kind', () => {
    expect(field('save_image', 'image').kind).toBe('image');
    expect(field('color', 'color')).toMatchObject({ kind: 'color', default: { r: 0, g: 0, b: 0, a: 255 } });
    expect(field('image_batch', 'images')).toMatchObject({ kind: 'collection', itemKind: 'image', constraints: { minItems: 1 } });
    expect(field('string_batch', 'strings')).toMatchObject({ kind: 'collection', itemKind: 'string' });
    expect(field('collect', 'collection')).toMatchObject({ kind: 'collection', itemKind: 'unknown' });
    const video = Object.values(offlineTemplates).flatMap((t) => Object.values(t.inputs)).filter((f) => f.typeName === 'VideoField');
    expect(video.length).toBeGreaterThan(0);
    expect(video.every((f) => f.kind === 'video' || (f.kind === 'collection' && f.itemKind === 'video'))).toBe(true);
  });

  it('skips node attributes and reads use_cache defaults', () => {
    for (const t of Object.values(offlineTemplates)) {
      for (const name of ['id', 'type', 'is_intermediate', 'use_cache']) expect(t.inputs[name]).toBeUndefined();
    }
    expect(offlineTemplates['save_image']?.useCache).toBe(false);
    expect(offlineTemplates['l2i']?.useCache).toBe(true);
  });

  it('reads outputs from the output schema', () => {
    const l2i = offlineTemplates['l2i']!;
    expect(l2i.outputType).toBe('image_output');
    expect(Object.keys(l2i.outputs).sort()).toEqual(['height', 'image', 'width']);
    expect(l2i.outputs['image']).toMatchObject({ kind: 'image', typeName: 'ImageField' });
    expect(offlineTemplates['denoise_latents']?.outputs['latents']?.kind).toBe('connection');
    expect(offlineTemplates['integer_batch']?.outputs['value']?.kind).toBe('integer');
  });

  it('rejects documents without invocation schemas with a typed error', () => {
    expect(() => templatesFromOpenApi(null)).toThrow(TemplatesError);
    expect(() => templatesFromOpenApi({ components: { schemas: { A: { type: 'object' } } } })).toThrow(/invocation/);
  });
});
