// Shared test data for the workflow specs: small hand-built templates and workflows, fixture loading,
// and deep freezing (to prove that nothing a caller hands in is ever changed).

import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../../lib/workflow/errors';
import type { FieldTemplate, NodeTemplate, NodeTemplates } from '../../lib/workflow/types';
import { workflowHeader } from './builders';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');

/** Fixture file names of a folder (JSON only). */
export const fixtureNames = (dir: string): string[] =>
  fs.readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith('.json')).sort();

export const readFixtureText = (dir: string, name: string): string => fs.readFileSync(path.join(FIXTURES, dir, name), 'utf8');
export const readFixture = (dir: string, name: string): Record<string, unknown> => JSON.parse(readFixtureText(dir, name));

/** Freezes a value and everything inside it. */
export { deepFreeze } from '../../lib/internal/record';

const field = (name: string, kind: FieldTemplate['kind'], extra: Partial<FieldTemplate> = {}): FieldTemplate => ({
  name,
  title: name[0].toUpperCase() + name.slice(1),
  description: `${name} description`,
  kind,
  typeName: `${kind}Field`,
  input: kind === 'connection' ? 'connection' : 'any',
  fieldKind: 'input',
  required: false,
  nullable: false,
  constraints: {},
  ...extra,
});

const node = (type: string, title: string, inputs: FieldTemplate[], outputs: Record<string, FieldTemplate['kind']> = {}): NodeTemplate => ({
  type,
  title,
  version: '1.0.0',
  nodePack: 'invokeai',
  useCache: true,
  inputs: Object.fromEntries(inputs.map((i) => [i.name, i])),
  outputType: `${type}_output`,
  outputs: Object.fromEntries(Object.entries(outputs).map(([name, kind]) => [name, { name, kind, typeName: `${kind}Field` }])),
});

/** A few node types with one field of each kind the setters check. */
export const smallTemplates: NodeTemplates = {
  gen: node('gen', 'Generator', [
    field('prompt', 'string', { constraints: { maxLength: 20 } }),
    field('seed', 'integer', { constraints: { minimum: 0, maximum: 100 } }),
    field('width', 'integer', { constraints: { exclusiveMinimum: 0, multipleOf: 8 } }),
    field('cfg', 'float', { constraints: { minimum: 1, maximum: 20 } }),
    field('tiled', 'boolean'),
    field('scheduler', 'enum', { constraints: { options: ['euler', 'ddim'] } }),
    field('image', 'image', { required: true, input: 'any', nullable: true }),
    field('board', 'board', { input: 'direct', fieldKind: 'internal', nullable: true }),
    field('model', 'model', { required: true, constraints: { modelBase: ['sdxl'], modelType: ['main'] } }),
    field('color', 'color'),
    field('numbers', 'collection', { itemKind: 'integer', constraints: { minItems: 1, maxItems: 3 } }),
    field('latents', 'connection', { required: true }),
  ], { image: 'image', latents: 'connection' }),
  src: node('src', 'Source', [field('value', 'integer')], { value: 'integer' }),
};

/** A 4.0.0 workflow over `smallTemplates`: two `gen` nodes (one labelled), a `src` feeding `b.seed`. */
export const smallWorkflow = (): Record<string, unknown> => {
  const inst = (name: string, value?: unknown, label = '') =>
    value === undefined ? { name, label, description: '' } : { name, label, description: '', value };
  const genInputs = (over: Record<string, unknown>) => ({
    prompt: inst('prompt', over.prompt ?? 'hello', (over.promptLabel as string) ?? ''),
    seed: inst('seed', 1),
    width: inst('width', 512),
    cfg: inst('cfg', 7),
    tiled: inst('tiled', false),
    scheduler: inst('scheduler', 'euler'),
    image: inst('image', { image_name: 'a.png' }),
    board: inst('board', 'auto'),
    model: inst('model', { key: 'k', hash: 'h', name: 'n', base: 'sdxl', type: 'main' }),
    color: inst('color', { r: 1, g: 2, b: 3, a: 255 }),
    numbers: inst('numbers', [1]),
    latents: inst('latents'),
  });
  const nf = (id: string, nodeId: string, fieldName: string, parentId = 'root') => ({
    id,
    parentId,
    type: 'node-field',
    data: { fieldIdentifier: { nodeId, fieldName }, showDescription: false },
  });
  const invocation = (id: string, type: string, label: string, inputs: Record<string, unknown>) => ({
    id,
    type: 'invocation',
    data: { id, type, version: '1.0.0', label, notes: '', isOpen: true, isIntermediate: true, useCache: true, inputs },
    position: { x: 0, y: 0 },
  });
  return {
    ...workflowHeader('small'),
    custom_top_level: { kept: [1, 2] },
    form: {
      rootElementId: 'top',
      elements: {
        top: { id: 'top', type: 'container', data: { layout: 'column', children: ['h', 'fa-prompt', 'row', 'fb-seed'] } },
        h: { id: 'h', parentId: 'top', type: 'heading', data: { content: 'Main' } },
        'fa-prompt': nf('fa-prompt', 'a', 'prompt', 'top'),
        row: { id: 'row', parentId: 'top', type: 'container', data: { layout: 'row', children: ['fa-seed', 'fa-width', 'fb-prompt'] } },
        'fa-seed': nf('fa-seed', 'a', 'seed', 'row'),
        'fa-width': nf('fa-width', 'a', 'width', 'row'),
        'fb-prompt': nf('fb-prompt', 'b', 'prompt', 'row'),
        'fb-seed': nf('fb-seed', 'b', 'seed', 'top'),
      },
    },
    nodes: [
      invocation('a', 'gen', '', genInputs({ promptLabel: 'Positive Prompt' })),
      invocation('b', 'gen', 'Refiner', genInputs({ prompt: 'bye' })),
      invocation('s', 'src', '', { value: inst('value', 3) }),
    ],
    edges: [{ id: 'e1', type: 'default', source: 's', sourceHandle: 'value', target: 'b', targetHandle: 'seed' }],
  };
};

/** `smallWorkflow` with every field of node `a` in the form, in template order, after the others. */
export const smallWorkflowAllFields = (): Record<string, unknown> => {
  const wf = smallWorkflow() as { form: { elements: Record<string, unknown> } };
  const top = wf.form.elements.top as { data: { children: string[] } };
  for (const name of Object.keys(smallTemplates.gen.inputs)) {
    if (name === 'prompt' || name === 'seed' || name === 'width') continue;
    const id = `fa-${name}`;
    top.data.children.push(id);
    wf.form.elements[id] = { id, parentId: 'top', type: 'node-field', data: { fieldIdentifier: { nodeId: 'a', fieldName: name }, showDescription: false } };
  }
  return wf as Record<string, unknown>;
};

/** The error of class `type` that `f` throws; any other outcome fails the test. */
export const catchError = <T extends Error>(type: new (...args: never[]) => T, f: () => unknown): T => {
  try {
    f();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}`);
};

/** The `InputError` that `f` throws; any other outcome fails the test. */
export const catchInputError = (f: () => unknown): InputError => catchError(InputError, f);
