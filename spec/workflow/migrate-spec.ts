import { buildGraph } from '../../lib/workflow/graph';
import { listInputs } from '../../lib/workflow/inputs';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import { migrateWorkflow } from '../../lib/workflow/migrate';
import { Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { deepFreeze, readFixture, readFixtureText, smallTemplates, smallWorkflow } from './helpers';
import { defaultWorkflow } from './workflow-fixtures';

describe('schema 1.0.0 (hand-written fixture)', () => {
  const text = readFixtureText('workflows-legacy', 'v1-text-to-image.json');
  const wf = Workflow.fromJson(text);

  it('migrates to 4.0.0 with category user, dropping the v1-only keys', () => {
    expect(wf.json.meta).toEqual({ version: '4.0.0', category: 'user' });
    const compel = wf.json.nodes.find((n) => n.id === 'compel-1')!;
    expect(compel.type).toBe('invocation');
    if (compel.type !== 'invocation') return;
    expect(compel.data).not.toHaveProperty('outputs');
    expect(compel.data).not.toHaveProperty('embedWorkflow');
    expect(compel).not.toHaveProperty('width');
    expect(compel.data.inputs.prompt).toEqual({ name: 'prompt', label: 'Prompt', description: '', value: 'a lighthouse at dawn' });
    expect(compel.data.nodePack).toBe('invokeai');
    // version ||= '1.0.0' on migration, said in a warning; then the load updates the node to its
    // type's version (same major), as the GUI does.
    const migrated = migrateWorkflow(JSON.parse(text), offlineTemplates).json!.nodes.find((n) => n.id === 'compel-1')!;
    expect(migrated.type === 'invocation' && migrated.data.version).toBe('1.0.0');
    expect(compel.data.version).toBe(offlineTemplates['compel']!.version);
    expect(workflowWarnings(wf)).toContainEqual({ code: 'schema-default', path: '$.nodes', message: expect.stringMatching(/1 node without "version" took 1\.0\.0.*compel-1/) });
  });

  it('gives a node without useCache the schema 1.0.0 default, true, whatever its type\'s own default', () => {
    const raw = JSON.parse(text);
    raw.nodes.push({ ...raw.nodes[1], id: 'rand-1', data: { ...raw.nodes[1].data, id: 'rand-1', type: 'rand_int', inputs: {} } });
    for (const n of raw.nodes) delete n.data.useCache;
    expect(offlineTemplates['rand_int']!.useCache).toBe(false);
    const loaded = Workflow.fromObject(raw);
    const rand = loaded.json.nodes.find((n) => n.id === 'rand-1');
    expect(rand?.type === 'invocation' && rand.data.useCache).toBe(true);
    expect(buildGraph(loaded).nodes['rand-1']).toMatchObject({ use_cache: true });
    expect(workflowWarnings(loaded)).toContainEqual({ code: 'schema-default', path: '$.nodes', message: expect.stringMatching(/5 nodes without "useCache" took true/) });
  });

  it('builds the form from exposedFields in their order, leaving out fields that do not resolve', () => {
    expect(listInputs(wf).map((i) => [i.nodeId, i.fieldName, i.kind, i.value])).toEqual([
      ['compel-1', 'prompt', 'string', 'a lighthouse at dawn'],
      ['noise-1', 'seed', 'integer', 1234],
      ['denoise-1', 'steps', 'integer', 30],
      ['model-1', 'model', 'model', undefined],
    ]);
    const root = wf.json.form.elements[wf.json.form.rootElementId];
    expect(root.type === 'container' && root.data.children).toHaveLength(4);
    const seedField = Object.values(wf.json.form.elements).find((e) => e.type === 'node-field' && e.data.fieldIdentifier.fieldName === 'seed');
    expect(seedField?.type === 'node-field' && seedField.data).toEqual({
      fieldIdentifier: { nodeId: 'noise-1', fieldName: 'seed' },
      showDescription: false,
      settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input' },
    });
    expect(workflowWarnings(wf).map((w) => w.path)).toContain('$.exposedFields[2]');
  });

  it('unsets a v1 model value ({model_name, base_model}), with a warning', () => {
    const loader = wf.json.nodes.find((n) => n.id === 'model-1');
    expect(loader?.type === 'invocation' && loader.data.inputs.model).toEqual({ name: 'model', label: '', description: '' });
    expect(workflowWarnings(wf).map((w) => w.path)).toContain('$.nodes[0].data.inputs.model.value');
  });

  it('keeps the edges and exports a 4.0.0 workflow that loads to the same inputs', () => {
    expect(wf.json.edges).toHaveLength(4);
    const again = Workflow.fromJson(Workflow.toJson(wf));
    expect(again.json).toEqual(wf.json);
    expect(workflowWarnings(again)).toEqual([]);
  });
});

describe('schema 2.0.0 (hand-written fixture)', () => {
  const wf = Workflow.fromJson(readFixtureText('workflows-legacy', 'v2-image-to-latents.json'));

  it('strips input id/type/fieldKind and node outputs, keeps nodePack, notes nodes and values', () => {
    const resize = wf.json.nodes[0];
    expect(resize.type === 'invocation' && resize.data.inputs.image).toEqual({
      name: 'image',
      label: 'Source',
      description: '',
      value: { image_name: 'cat.png' },
    });
    expect(resize.type === 'invocation' && resize.data.nodePack).toBe('invokeai');
    expect(resize.type === 'invocation' && resize.data.isIntermediate).toBe(false);
    expect(wf.json.nodes[1].type === 'invocation' && wf.json.nodes[1].data.nodePack).toBe('my-pack');
    expect(wf.json.nodes[2]).toEqual({
      id: 'notes-1',
      type: 'notes',
      data: { id: 'notes-1', type: 'notes', label: 'Read me', isOpen: true, notes: 'Resize then sharpen.' },
      position: { x: 0, y: -200 },
    });
  });

  it('types known nodes from the templates; the custom node keeps its value with kind unknown', () => {
    expect(listInputs(wf).map((i) => [i.fieldName, i.kind, i.label, i.value])).toEqual([
      ['image', 'image', 'Source', { image_name: 'cat.png' }],
      ['width', 'integer', 'Width', 640],
      ['resample_mode', 'enum', 'Resample Mode', 'lanczos'],
      ['strength', 'unknown', 'Strength', 0.75],
    ]);
  });
});

describe('schema 3.0.0 and 4.0.0', () => {
  it('keeps the form of a 3.0.0 file that has one (as zWorkflowV3 parses it)', () => {
    const wf = defaultWorkflow('CogView4_TextToImage');
    expect(wf.json.form.rootElementId).toBe('container-XSINSu999B');
  });

  it('defaults what the GUI defaults: labels, isOpen, position, category', () => {
    const raw: any = smallWorkflow();
    delete raw.nodes[0].data.label;
    delete raw.nodes[0].data.notes;
    delete raw.nodes[0].data.isOpen;
    delete raw.nodes[0].position;
    raw.nodes[0].data.inputs.seed = { name: 'seed', label: 5, value: null };
    delete raw.meta.category;
    const wf = Workflow.fromObject(raw, { templates: smallTemplates });
    const a = wf.json.nodes[0];
    expect(a.type === 'invocation' && a.data).toMatchObject({ label: '', notes: '', isOpen: true });
    expect(a.position).toEqual({ x: 0, y: 0 });
    expect(a.type === 'invocation' && a.data.inputs.seed).toEqual({ name: 'seed', label: '', description: '' });
    expect(wf.json.meta.category).toBe('user');
  });

  it('keeps connector nodes and extra data keys', () => {
    const raw: any = smallWorkflow();
    raw.nodes.push({ id: 'c', type: 'connector', data: { id: 'c', type: 'connector', label: 'Connector', isOpen: true }, position: { x: 1, y: 2 } });
    raw.edges.push({ id: 'e2', type: 'default', source: 's', sourceHandle: 'value', target: 'c', targetHandle: 'in' });
    raw.nodes[0].data.somethingNew = { x: 1 };
    const wf = Workflow.fromObject(raw, { templates: smallTemplates });
    expect(wf.json.nodes[3].type).toBe('connector');
    expect(wf.json.nodes[0].type === 'invocation' && wf.json.nodes[0].data.somethingNew).toEqual({ x: 1 });
  });

  it('migrateWorkflow does not change its input', () => {
    const raw = deepFreeze(readFixture('workflows-legacy', 'v1-text-to-image.json'));
    const before = JSON.parse(JSON.stringify(raw));
    migrateWorkflow(raw, smallTemplates);
    expect(raw).toEqual(before);
  });
});
