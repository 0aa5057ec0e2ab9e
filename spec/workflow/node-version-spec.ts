import { editorDefault, majorVersion, nodeVersionStatus, replaceNodeData, updatedFieldName, updateNodeData } from '../../lib/workflow/node-version';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import type { FieldTemplate, InvocationNode, NodeTemplate } from '../../lib/workflow/types';
import { smallTemplates } from './helpers';

const gen = smallTemplates['gen']!;
const node = (type: string, version: string, inputs: Record<string, unknown>, extra: Record<string, unknown> = {}): InvocationNode => ({
  id: 'n',
  type: 'invocation',
  position: { x: 1, y: 2 },
  data: {
    id: 'n',
    type,
    version,
    label: 'Mine',
    notes: 'kept',
    isOpen: false,
    isIntermediate: false,
    useCache: false,
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([name, value]) => [name, value === undefined ? { name, label: `L-${name}`, description: '' } : { name, label: `L-${name}`, description: '', value }]),
    ),
    ...extra,
  },
});
const at = (template: NodeTemplate, version: string): NodeTemplate => ({ ...template, version });

describe('node versions as the editor treats them', () => {
  it.each([
    ['1.0.0', '1.0.0', 'current'],
    ['1.0.0', '1.4.2', 'updatable'],
    ['1.9.0', '1.4.2', 'updatable'], // a newer minor is brought back to the template's too (semver ^1)
    ['3.0.0', '4.6.0', 'outdated'],
    ['2.0.0', '1.0.0', 'ahead'],
    ['', '1.0.0', 'unversioned'],
    ['one', '1.0.0', 'unversioned'],
  ] as const)('node %s against template %s: %s', (nodeVersion, templateVersion, status) => {
    expect(nodeVersionStatus(node('gen', nodeVersion, {}).data, at(gen, templateVersion))).toBe(status);
  });

  it('reads versions as compare-versions does', () => {
    expect([majorVersion('4.6.0'), majorVersion('v2.1'), majorVersion('3'), majorVersion('1.0.0-beta.1'), majorVersion('x.1.0'), majorVersion('')]).toEqual([4, 2, 3, 1, undefined, undefined]);
  });

  it('gives a field the default the editor gives it: the schema default, else a fallback by type', () => {
    const f = (kind: FieldTemplate['kind'], extra: Partial<FieldTemplate> = {}): FieldTemplate => ({
      name: 'x', title: 'X', description: '', kind, typeName: 'XField', input: 'any', fieldKind: 'input', required: false, nullable: true, constraints: {}, ...extra,
    });
    expect(editorDefault(f('integer', { default: 7 }))).toBe(7);
    expect([editorDefault(f('integer')), editorDefault(f('float')), editorDefault(f('string')), editorDefault(f('boolean'))]).toEqual([0, 0, '', false]);
    expect(editorDefault(f('enum', { constraints: { options: ['a', 'b'] } }))).toBe('a');
    expect(editorDefault(f('enum', { typeName: 'SchedulerField', constraints: { options: ['euler'] } }))).toBe('dpmpp_3m_k');
    expect(editorDefault(f('color'))).toEqual({ r: 127, g: 127, b: 127, a: 255 });
    expect(editorDefault(f('collection', { itemKind: 'image', required: true }))).toEqual([]);
    expect(editorDefault(f('collection', { itemKind: 'image' }))).toBeUndefined();
    expect(editorDefault(f('collection', { itemKind: 'unknown', default: [] }))).toBeUndefined(); // a connection-only list takes no value
    expect([editorDefault(f('model')), editorDefault(f('image')), editorDefault(f('connection', { default: 1 }))]).toEqual([undefined, undefined, undefined]);
    expect(editorDefault(f('object', { typeName: 'IntegerGeneratorField' }))).toEqual({ type: 'integer_generator_arithmetic_sequence', start: 0, step: 1, count: 10 });
  });
});

describe('updateNodeData: the editor\'s "update node"', () => {
  const template = at(gen, '1.2.0');
  const old = node('gen', '1.0.0', { prompt: 'hi', seed: undefined, color: { r: 1, g: 2, b: 3 }, removed_long_ago: 5 }, { custom: 'x' });
  const { node: updated, change } = updateNodeData(old, template, new Set());

  it('takes the template version and keeps the node\'s id, place, label, flags and unknown keys', () => {
    expect(updated.data).toMatchObject({ version: '1.2.0', label: 'Mine', notes: 'kept', isOpen: false, isIntermediate: false, useCache: false, custom: 'x', nodePack: 'invokeai' });
    expect(updated.position).toEqual({ x: 1, y: 2 });
  });

  it('keeps the values and labels it has, fills what it lacks with the editor\'s defaults, recursively, and keeps only the template\'s inputs', () => {
    expect(Object.keys(updated.data.inputs)).toEqual(Object.keys(template.inputs));
    expect(updated.data.inputs['prompt']).toEqual({ name: 'prompt', label: 'L-prompt', description: '', value: 'hi' });
    expect(updated.data.inputs['seed']).toEqual({ name: 'seed', label: 'L-seed', description: '', value: 0 });
    expect(updated.data.inputs['tiled']).toEqual({ name: 'tiled', label: '', description: '', value: false });
    expect(updated.data.inputs['latents']).toEqual({ name: 'latents', label: '', description: '' });
    // lodash defaultsDeep: a value that is an object gets the keys it lacks from the default
    expect(updated.data.inputs['color']?.value).toEqual({ r: 1, g: 2, b: 3, a: 255 });
    expect(change).toEqual({
      nodeId: 'n', nodeType: 'gen', from: '1.0.0', to: '1.2.0', removedInputs: ['removed_long_ago'],
      defaultedInputs: ['seed', 'width', 'cfg', 'tiled', 'scheduler'],
    });
  });

  it('moves an old image_collection\'s images from `collection` to `images`, unless an edge feeds `collection`', () => {
    const t = offlineTemplates['image_collection']!;
    const images = [{ image_name: 'a.png' }];
    const old = node('image_collection', '1.0.0', { collection: images });
    expect(updateNodeData(old, t, new Set()).node.data.inputs).toMatchObject({ images: { value: images }, collection: { value: [] } });
    expect(updateNodeData(old, t, new Set(['collection'])).node.data.inputs['collection']?.value).toEqual(images);
    expect(updatedFieldName(updateNodeData(old, t, new Set()).node.data, 'collection')).toBe('images');
    expect(updatedFieldName(old.data, 'collection')).toBe('collection');
  });
});

describe('replaceNodeData: a fresh node of the newer major version in the old one\'s place', () => {
  it('keeps the values the new version takes and the labels, resets the rest, drops the inputs it lost', () => {
    const old = node('gen', '1.0.0', { prompt: 'hi', seed: 7, gone: 1 });
    const fits = (f: FieldTemplate, v: unknown) => f.name !== 'seed' && v !== undefined;
    const r = replaceNodeData(old, at(gen, '2.0.0'), fits);
    expect(r.node.data.version).toBe('2.0.0');
    expect(r.node.data.inputs['prompt']).toEqual({ name: 'prompt', label: 'L-prompt', description: '', value: 'hi' });
    expect(r.node.data.inputs['seed']).toEqual({ name: 'seed', label: 'L-seed', description: '', value: 0 });
    expect(r.resetInputs).toEqual(['seed']);
    expect(r.change.removedInputs).toEqual(['gone']);
    expect(r.node.data).toMatchObject({ label: 'Mine', useCache: false, isIntermediate: false });
  });
});
