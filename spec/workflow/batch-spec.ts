import { BatchError, buildBatch, countBatchItems } from '../../lib/workflow/batch';
import { InputError } from '../../lib/workflow/errors';
import { GeneratorError } from '../../lib/workflow/generators';
import { buildGraph } from '../../lib/workflow/graph';
import type { Workflow } from '../../lib/workflow/workflow';
import { edge, invocation, makeWorkflowJson } from './builders';
import { catchError, readFixture } from './helpers';
import { defaultWorkflow, workflowFromObject } from './workflow-fixtures';
import { serverTemplates } from '../../lib/client/templates';

const wfOf = (json: unknown): Workflow => workflowFromObject(json);
const fixedId = { newId: () => 'graph-id' };

const connector = (id: string) => ({ id, type: 'connector', data: { id, type: 'connector', label: 'Connector', isOpen: true }, position: { x: 0, y: 0 } });

/** Two consumers: `noise` (seed, width) and `prompt` (a string primitive feeding nothing). */
const consumers = () => [invocation('noise', 'noise', { seed: 0, width: 512, height: 512 }), invocation('p', 'string', { value: 'x' })];

describe('buildBatch: the enqueue payload', () => {
  it('holds the graph, the workflow without its id, runs, origin and destination (GUI defaults)', () => {
    const wf = defaultWorkflow('Text to Image - SD1.5');
    expect(wf.json.id).toMatch(/^default_/);
    const batch = buildBatch(wf, fixedId);
    expect(batch.graph).toEqual(buildGraph(wf, fixedId));
    expect(batch.workflow).not.toHaveProperty('id');
    expect(batch.workflow).toEqual(Object.fromEntries(Object.entries(wf.json).filter(([k]) => k !== 'id')));
    expect(batch).toMatchObject({ runs: 1, origin: 'workflows', destination: 'gallery', data: [] });
    expect(countBatchItems(batch)).toBe(1);
    expect(batch).not.toHaveProperty('batch_id');
    expect(JSON.parse(JSON.stringify(batch))).toEqual(batch);
  });

  it('takes runs, origin, destination, batch id and the auto-add board from the options', () => {
    const wf = defaultWorkflow('Text to Image - SD1.5');
    const batch = buildBatch(wf, { runs: 3, origin: 'my-run-1', destination: 'mine', batchId: 'b-1', autoAddBoardId: 'board-9', ...fixedId });
    expect(batch).toMatchObject({ runs: 3, origin: 'my-run-1', destination: 'mine', batch_id: 'b-1' });
    const l2i = Object.values(batch.graph.nodes).find((n) => n.type === 'l2i')!;
    expect(l2i['board']).toEqual({ board_id: 'board-9' });
    expect(() => buildBatch(wf, { runs: 0 })).toThrow(BatchError);
  });

  it('Prompt from File: its prompt_from_file → iterate chain stays in the graph and there is no batch data', () => {
    const wf = defaultWorkflow('Prompt from File');
    const batch = buildBatch(wf, fixedId);
    expect(batch.data).toEqual([]);
    expect(Object.values(batch.graph.nodes).map((n) => n.type).sort()).toEqual(
      ['compel', 'compel', 'denoise_latents', 'iterate', 'l2i', 'main_model_loader', 'noise', 'prompt_from_file', 'rand_int'].sort(),
    );
    expect(readFixture('default-workflows', 'Prompt from File.json').nodes).toHaveLength(9);
  });
});

describe('buildBatch: batch nodes become batch data (server contract, The enqueue batch)', () => {
  it('an ungrouped batch node: one inner list with a datum per outgoing edge; the node and its edges leave the graph', () => {
    const nodes = [...consumers(), invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [1, 2, 3] })];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b', 'value', 'noise', 'seed'), edge('b', 'value', 'noise', 'width')]));
    const batch = buildBatch(wf, fixedId);
    expect(batch.data).toEqual([
      [
        { node_path: 'noise', field_name: 'seed', items: [1, 2, 3] },
        { node_path: 'noise', field_name: 'width', items: [1, 2, 3] },
      ],
    ]);
    expect(Object.keys(batch.graph.nodes).sort()).toEqual(['noise', 'p']);
    expect(batch.graph.edges).toEqual([]);
  });

  it('two ungrouped batch nodes: two inner lists (a product)', () => {
    const nodes = [
      ...consumers(),
      invocation('b1', 'integer_batch', { batch_group_id: 'None', integers: [1, 2] }),
      invocation('b2', 'string_batch', { batch_group_id: 'None', strings: ['a', 'b', 'c'] }),
    ];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b1', 'value', 'noise', 'seed'), edge('b2', 'value', 'p', 'value')]));
    const batch = buildBatch(wf, { runs: 2 });
    expect(batch.data).toEqual([
      [{ node_path: 'noise', field_name: 'seed', items: [1, 2] }],
      [{ node_path: 'p', field_name: 'value', items: ['a', 'b', 'c'] }],
    ]);
    expect(countBatchItems(batch)).toBe(12);
  });

  it('duplicate edges from a batch node give one datum', () => {
    const nodes = [...consumers(), invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [1, 2] })];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b', 'value', 'noise', 'seed'), { ...edge('b', 'value', 'noise', 'seed'), id: 'dup' }]));
    expect(buildBatch(wf).data).toEqual([[{ node_path: 'noise', field_name: 'seed', items: [1, 2] }]]);
  });

  it('batch nodes of one named group share one inner list (zipped); groups are separate lists', () => {
    const nodes = [
      ...consumers(),
      invocation('b1', 'integer_batch', { batch_group_id: 'Group 1', integers: [1, 2] }),
      invocation('b2', 'string_batch', { batch_group_id: 'Group 1', strings: ['a', 'b'] }),
      invocation('b3', 'float_batch', { batch_group_id: 'Group 2', floats: [0.5] }),
      invocation('f', 'float_math', { a: 1, b: 1 }),
    ];
    const edges = [edge('b1', 'value', 'noise', 'seed'), edge('b2', 'value', 'p', 'value'), edge('b3', 'value', 'f', 'a')];
    const batch = buildBatch(wfOf(makeWorkflowJson(nodes, edges)));
    expect(countBatchItems(batch)).toBe(2);
    expect(batch.data).toEqual([
      [
        { node_path: 'noise', field_name: 'seed', items: [1, 2] },
        { node_path: 'p', field_name: 'value', items: ['a', 'b'] },
      ],
      [{ node_path: 'f', field_name: 'a', items: [0.5] }],
    ]);
  });

  it('mismatched lengths in a named group are a BatchError naming the nodes', () => {
    const nodes = [
      ...consumers(),
      invocation('b1', 'integer_batch', { batch_group_id: 'Group 3', integers: [1, 2] }, { label: 'Seeds' }),
      invocation('b2', 'string_batch', { batch_group_id: 'Group 3', strings: ['a', 'b', 'c'] }),
    ];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b1', 'value', 'noise', 'seed'), edge('b2', 'value', 'p', 'value')]));
    let error: unknown;
    try {
      buildBatch(wf);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatchError);
    expect((error as BatchError).name).toBe('BatchError');
    expect((error as BatchError).reason).toBe('MISMATCHED_BATCH_GROUP');
    expect((error as BatchError).message).toContain('"Seeds" (b1): 2');
    expect((error as BatchError).message).toContain('string_batch b2: 3');
  });

  it('an empty batch node is a BatchError (the GUI refuses EMPTY_BATCHES)', () => {
    const nodes = [...consumers(), invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [] })];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b', 'value', 'noise', 'seed')]));
    expect(() => buildBatch(wf)).toThrow(expect.objectContaining({ reason: 'EMPTY_BATCHES' }));
  });

  it('image batches feed through their `image` handle', () => {
    const nodes = [invocation('s', 'save_image', {}), invocation('b', 'image_batch', { batch_group_id: 'None', images: [{ image_name: 'a.png' }, { image_name: 'b.png' }] })];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('b', 'image', 's', 'image')]));
    expect(buildBatch(wf).data).toEqual([[{ node_path: 's', field_name: 'image', items: [{ image_name: 'a.png' }, { image_name: 'b.png' }] }]]);
  });

  it('a generator connected to a batch node gives its items (through connectors too), and neither node reaches the graph', () => {
    const nodes = [
      ...consumers(),
      invocation('g', 'integer_generator', { generator: { type: 'integer_generator_random_distribution_uniform', min: 0, max: 10, count: 3, seed: 5489 } }),
      connector('c'),
      invocation('b', 'integer_batch', { batch_group_id: 'None' }),
    ];
    const edges = [edge('g', 'integers', 'c', 'in'), edge('c', 'out', 'b', 'integers'), edge('b', 'value', 'noise', 'seed')];
    const batch = buildBatch(wfOf(makeWorkflowJson(nodes, edges)));
    expect(batch.data).toEqual([[{ node_path: 'noise', field_name: 'seed', items: [8, 1, 9] }]]);
    expect(Object.keys(batch.graph.nodes).sort()).toEqual(['noise', 'p']);
  });

  it('a batch node feeding a connector reaches the invocations behind it', () => {
    const nodes = [...consumers(), connector('c'), invocation('b', 'string_batch', { batch_group_id: 'None', strings: ['x', 'y'] })];
    const edges = [edge('b', 'value', 'c', 'in'), edge('c', 'out', 'p', 'value')];
    expect(buildBatch(wfOf(makeWorkflowJson(nodes, edges))).data).toEqual([[{ node_path: 'p', field_name: 'value', items: ['x', 'y'] }]]);
  });

  it('a dynamic-prompt generator without values stops the build with a GeneratorError', () => {
    const nodes = [
      ...consumers(),
      invocation('g', 'string_generator', { generator: { type: 'string_generator_dynamic_prompts_combinatorial', input: 'a {b|c}', maxPrompts: 10 } }),
      invocation('b', 'string_batch', { batch_group_id: 'None' }),
    ];
    const wf = wfOf(makeWorkflowJson(nodes, [edge('g', 'strings', 'b', 'strings'), edge('b', 'value', 'p', 'value')]));
    expect(() => buildBatch(wf)).toThrow(GeneratorError);
  });
});

describe('buildBatch: sweeps', () => {
  const swept = () =>
    wfOf(
      makeWorkflowJson(
        [invocation('noise', 'noise', { seed: 0, width: 512, height: 512 }), invocation('i', 'integer', { value: 1 }), invocation('m', 'mul', { a: 1, b: 2 })],
        [edge('i', 'value', 'm', 'a')],
        [
          ['noise', 'seed'],
          ['noise', 'width'],
          ['m', 'a'],
        ],
      ),
    );

  it('product (default): one inner list per ref, refs resolved like setInput refs', () => {
    const batch = buildBatch(swept(), { sweep: { values: { seed: [1, 2], 'noise.width': [512, 768, 1024] } } });
    expect(batch.data).toEqual([
      [{ node_path: 'noise', field_name: 'seed', items: [1, 2] }],
      [{ node_path: 'noise', field_name: 'width', items: [512, 768, 1024] }],
    ]);
  });

  it('zip: one inner list; lengths must match', () => {
    const batch = buildBatch(swept(), { sweep: { values: { 0: [1, 2], width: [512, 768] }, mode: 'zip' } });
    expect(batch.data).toEqual([
      [
        { node_path: 'noise', field_name: 'seed', items: [1, 2] },
        { node_path: 'noise', field_name: 'width', items: [512, 768] },
      ],
    ]);
    expect(() => buildBatch(swept(), { sweep: { values: { seed: [1, 2], width: [512] }, mode: 'zip' } })).toThrow(
      expect.objectContaining({ name: 'BatchError', reason: 'MISMATCHED_SWEEP' }),
    );
  });

  it('sweep values are checked like setInput values; unknown refs and connected inputs are errors', () => {
    expect(() => buildBatch(swept(), { sweep: { values: { seed: [1, 'two'] } } })).toThrow(InputError);
    expect(() => buildBatch(swept(), { sweep: { values: { width: [513] } } })).toThrow(InputError); // multipleOf 8
    expect(() => buildBatch(swept(), { sweep: { values: { nope: [1] } } })).toThrow(InputError);
    // As in setInputs, only a canonical decimal key is an index: "00" names a label, and there is none.
    expect(() => buildBatch(swept(), { sweep: { values: { '00': [1] } } })).toThrow(InputError);
    expect(buildBatch(swept(), { sweep: { values: { '0': [1] } } }).data).toHaveLength(1);
    expect(() => buildBatch(swept(), { sweep: { values: { 'm.a': [1] } } })).toThrow(expect.objectContaining({ reason: 'INVALID_SWEEP' }));
    expect(() => buildBatch(swept(), { sweep: { values: { seed: [] } } })).toThrow(expect.objectContaining({ reason: 'INVALID_SWEEP' }));
  });

  it('a sweep of a batch or generator node\'s input is refused: such nodes never reach the server', () => {
    const json = makeWorkflowJson(
      [invocation('noise', 'noise', { seed: 0, width: 512, height: 512 }), invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [64, 128] })],
      [edge('b', 'value', 'noise', 'height')],
      [['b', 'integers']],
    );
    const error = catchError(BatchError, () => buildBatch(wfOf(json), { sweep: { values: { 'b.integers': [[1], [2]] } } }));
    expect(error.reason).toBe('INVALID_SWEEP');
    expect(error.message).toBe(
      'Input "b.integers" (Integer Batch.integers, ref "b.integers") belongs to a integer_batch node, which never reaches the server: its items already become batch data. Set its items with setInput instead, or sweep the input it feeds.',
    );
  });

  it('sweep data follows the batch nodes data', () => {
    const json = makeWorkflowJson(
      [invocation('noise', 'noise', { seed: 0, width: 512, height: 512 }), invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [64, 128] })],
      [edge('b', 'value', 'noise', 'height')],
      [['noise', 'seed']],
    );
    expect(buildBatch(wfOf(json), { sweep: { values: { seed: [7] } } }).data).toEqual([
      [{ node_path: 'noise', field_name: 'height', items: [64, 128] }],
      [{ node_path: 'noise', field_name: 'seed', items: [7] }],
    ]);
  });
});

describe('buildBatch: outdated nodes', () => {
  it('refuses a node made for an older major version of its type, naming it and what to do', () => {
    const wf = wfOf(makeWorkflowJson([invocation('c', 'color_correct', { mask_blur_radius: 8 }, { version: '1.0.0', label: 'Fix colours' })], []));
    const error = catchError(BatchError, () => buildBatch(wf));
    expect(error.reason).toBe('OUTDATED_NODE');
    expect(error.message).toMatch(/^Node "Fix colours" \(c, color_correct 1\.0\.0, now 2\.0\.0\) was made for an older major version of its type; InvokeAI cannot update a node across a major version and will not run it\./);
    expect(error.message).toContain('serverTemplates(client)');
  });
});
