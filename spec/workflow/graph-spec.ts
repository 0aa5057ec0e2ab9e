import { readFileSync } from 'fs';
import { join } from 'path';
import type { Graph, GraphNode } from '../../lib/protocol/graph';
import { buildGraph } from '../../lib/workflow/graph';
import { editorDefault } from '../../lib/workflow/node-version';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import type { Workflow } from '../../lib/workflow/workflow';
import { apiCall, defaultWorkflow, defaultWorkflowNames, workflowFromObject } from './workflow-fixtures';
import { edge, invocation, makeWorkflowJson } from './builders';

// ---------------------------------------------------------------------------------------------
// Ground truth: graphs the GUI submitted to a real server (completed queue items)

/** The GUI's auto-add board when these items were recorded (the refine run saved its `auto` boards there). */
const GUI_AUTO_ADD_BOARD = 'abf4afa1-5797-48a0-8e4c-f072b51f2151';

type JsonObject = Record<string, unknown>;
const openapi = JSON.parse(readFileSync(join(__dirname, '..', '..', 'lib', 'testing', 'data', 'openapi.json'), 'utf8')) as {
  components: { schemas: Record<string, JsonObject> };
};
const schemas = openapi.components.schemas;
const invocationSchemas = new Map<string, JsonObject>();
for (const s of Object.values(schemas)) {
  if (s['class'] !== 'invocation') continue;
  const type = ((s['properties'] as Record<string, JsonObject>)['type']!['const'] ?? (s['properties'] as Record<string, JsonObject>)['type']!['default']) as string;
  invocationSchemas.set(type, s);
}
/** The server's default for a field (what pydantic fills in when the graph leaves it out). */
const serverDefault = (type: string, field: string): unknown => {
  const prop = (invocationSchemas.get(type)!['properties'] as Record<string, JsonObject>)[field]!;
  return 'orig_default' in prop ? prop['orig_default'] : prop['default'];
};

const edgeKey = (e: { source: { node_id: string; field: string }; destination: { node_id: string; field: string } }): string =>
  `${e.source.node_id}.${e.source.field} -> ${e.destination.node_id}.${e.destination.field}`;

interface Difference {
  readonly node: string;
  readonly field: string;
  readonly why:
    | 'connected input: omitted here, server default there'
    | 'no input instance: server default there'
    | 'new in 6.14: the node updated on load sends the default of an input the recording had no value for';
}

/**
 * Compares our graph with the one the server stored, and explains every difference (or fails).
 * `rawNodes` are the nodes of the workflow as recorded: a node older than its 6.14 template is updated
 * on load (as the GUI updates it) and then sends the editor's default for an input it had no value for.
 */
const compareWithRecorded = (ours: Graph, recorded: { nodes: Record<string, JsonObject>; edges: unknown[] }, rawNodes: readonly JsonObject[]): Difference[] => {
  const connected = new Set(ours.edges.map((e) => `${e.destination.node_id}.${e.destination.field}`));
  const addedOnLoad = new Set(
    rawNodes.flatMap((n) => {
      const data = n['data'] as { type: string; version: string; inputs: Record<string, { value?: unknown }> };
      const template = offlineTemplates[data.type];
      if (template === undefined || template.version === data.version) return [];
      return Object.keys(template.inputs).filter((f) => data.inputs[f]?.value === undefined).map((f) => `${n['id'] as string}.${f}`);
    }),
  );
  const differences: Difference[] = [];
  for (const [id, theirs] of Object.entries(recorded.nodes)) {
    const mine = ours.nodes[id] as GraphNode;
    for (const field of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
      if (JSON.stringify(mine[field]) === JSON.stringify(theirs[field])) continue;
      const type = theirs['type'] as string;
      if (addedOnLoad.has(`${id}.${field}`) && mine[field] !== undefined) {
        // The recording's GUI had an older template and sent nothing; its server had the field (its default) or not.
        expect({ id, field, ours: mine[field] }).toEqual({ id, field, ours: editorDefault(offlineTemplates[type]!.inputs[field]!) });
        expect([undefined, JSON.stringify(serverDefault(type, field))]).toContain(theirs[field] === undefined ? undefined : JSON.stringify(theirs[field]));
        differences.push({ node: `${type}:${id.slice(0, 8)}`, field, why: U });
        continue;
      }
      // The only kind of difference allowed: the server stores its parsed graph, so a field
      // the GUI did not send holds the schema default there. Anything else fails here.
      expect({ id, field, ours: mine[field] }).toEqual({ id, field, ours: undefined });
      expect({ id, field, recorded: theirs[field] }).toEqual({ id, field, recorded: serverDefault(type, field) });
      differences.push({
        node: `${type}:${id.slice(0, 8)}`,
        field,
        why: connected.has(`${id}.${field}`) ? 'connected input: omitted here, server default there' : 'no input instance: server default there',
      });
    }
  }
  return differences.sort((a, b) => `${a.node}.${a.field}`.localeCompare(`${b.node}.${b.field}`));
};

const recordedCase = (name: string) => {
  const item = apiCall(name);
  const workflowJson: unknown = typeof item.workflow === 'string' ? JSON.parse(item.workflow) : item.workflow;
  return { wf: workflowFromObject(workflowJson), recorded: item.session.graph, rawNodes: (workflowJson as { nodes: JsonObject[] }).nodes };
};

const C = 'connected input: omitted here, server default there' as const;
const N = 'no input instance: server default there' as const;
/** The inputs 6.14's denoise nodes have that the recorded ones did not. */
const HIDIFFUSION = ['hidiffusion', 'hidiffusion_raunet', 'hidiffusion_t1_ratio', 'hidiffusion_t2_ratio', 'hidiffusion_window_attn'];
const U = 'new in 6.14: the node updated on load sends the default of an input the recording had no value for' as const;

describe('buildGraph against graphs the GUI submitted (seed api-calls)', () => {
  it.each([
    ['call-wf-sdxl-text-to-image', 12, 24],
    ['call-wf-flux-image-to-image', 9, 19],
    ['call-wf-sdxl-flux-refine', 35, 71],
  ])('%s: same node ids and the same edge set', (name, nodeCount, edgeCount) => {
    const { wf, recorded } = recordedCase(name);
    const graph = buildGraph(wf);
    expect(Object.keys(graph.nodes).sort()).toEqual(Object.keys(recorded.nodes).sort());
    expect(Object.keys(graph.nodes)).toHaveLength(nodeCount);
    expect(graph.edges.map(edgeKey).sort()).toEqual((recorded.edges as Parameters<typeof edgeKey>[0][]).map(edgeKey).sort());
    expect(graph.edges).toHaveLength(edgeCount);
  });

  it('sdxl-text-to-image: inputs agree except the listed differences', () => {
    const { wf, recorded, rawNodes } = recordedCase('call-wf-sdxl-text-to-image');
    // This run's unset l2i board reached the server as no board: the GUI's auto-add board was "none" then.
    expect(compareWithRecorded(buildGraph(wf), recorded, rawNodes)).toEqual([
      { node: 'collect:neg_cond', field: 'collection', why: N },
      { node: 'collect:pos_cond', field: 'collection', why: N },
      ...['clip_skip', 'hrf_enabled', 'hrf_method', 'hrf_strength', 'ideogram4_caption', 'init_image', 'refiner_cfg_scale', 'refiner_negative_aesthetic_score',
        'refiner_positive_aesthetic_score', 'refiner_scheduler', 'refiner_start', 'refiner_steps', 'strength'].map((field) => ({ node: 'core_metadata:core_met', field, why: U })),
      ...HIDIFFUSION.map((field) => ({ node: 'denoise_latents:denoise_', field, why: U })),
      { node: 'noise:noise:f4', field: 'noise_type', why: U },
      { node: 'noise:noise:f4', field: 'seed', why: C },
      { node: 'sdxl_compel_prompt:neg_cond', field: 'prompt', why: C },
      { node: 'sdxl_compel_prompt:neg_cond', field: 'style', why: C },
      { node: 'sdxl_compel_prompt:pos_cond', field: 'prompt', why: C },
      { node: 'sdxl_compel_prompt:pos_cond', field: 'style', why: C },
    ]);
  });

  it('flux-image-to-image: inputs agree except the listed differences', () => {
    const { wf, recorded, rawNodes } = recordedCase('call-wf-flux-image-to-image');
    expect(compareWithRecorded(buildGraph(wf, { autoAddBoardId: GUI_AUTO_ADD_BOARD }), recorded, rawNodes)).toEqual([
      { node: 'flux_denoise_meta:9c773392', field: 'height', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'seed', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'width', why: C },
    ]);
  });

  it('sdxl-flux-refine: inputs agree except the listed differences; `auto` boards go to the auto-add board', () => {
    const { wf, recorded, rawNodes } = recordedCase('call-wf-sdxl-flux-refine');
    expect(compareWithRecorded(buildGraph(wf, { autoAddBoardId: GUI_AUTO_ADD_BOARD }), recorded, rawNodes)).toEqual([
      ...HIDIFFUSION.map((field) => ({ node: 'denoise_latents_meta:f7a96570', field, why: U })),
      { node: 'float_to_int:276f9380', field: 'value', why: C },
      { node: 'float_to_int:8c3d3372', field: 'value', why: C },
      { node: 'flux_denoise_meta:56fb09f9', field: 'denoising_start', why: C },
      { node: 'flux_denoise_meta:56fb09f9', field: 'height', why: C },
      { node: 'flux_denoise_meta:56fb09f9', field: 'width', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'denoising_start', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'height', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'seed', why: C },
      { node: 'flux_denoise_meta:9c773392', field: 'width', why: C },
      { node: 'noise:0960d680', field: 'height', why: C },
      { node: 'noise:0960d680', field: 'noise_type', why: U },
      { node: 'noise:0960d680', field: 'seed', why: C },
      { node: 'noise:0960d680', field: 'width', why: C },
      { node: 'sdxl_compel_prompt:3f6b98e4', field: 'prompt', why: C },
      { node: 'sdxl_compel_prompt:3f6b98e4', field: 'style', why: C },
      { node: 'sdxl_compel_prompt:805b46c9', field: 'prompt', why: C },
      { node: 'sdxl_compel_prompt:805b46c9', field: 'style', why: C },
      { node: 'string_join_three:5656de6d', field: 'string_left', why: C },
      { node: 'string_join_three:ed8e37b5', field: 'string_left', why: C },
    ]);
  });

  it('sdxl-flux-refine without an auto-add board: `auto` boards are left out, never sent as strings', () => {
    const { wf, recorded } = recordedCase('call-wf-sdxl-flux-refine');
    const graph = buildGraph(wf);
    const autoBoardNodes = Object.entries(recorded.nodes)
      .filter(([, n]) => JSON.stringify(n['board']) === JSON.stringify({ board_id: GUI_AUTO_ADD_BOARD }))
      .map(([id]) => id);
    expect(autoBoardNodes).toHaveLength(4);
    for (const id of autoBoardNodes) expect(graph.nodes[id]).not.toHaveProperty('board');
    for (const node of Object.values(graph.nodes)) expect(typeof node['board']).not.toBe('string');
  });
});

// ---------------------------------------------------------------------------------------------
// Every default workflow builds a graph the server's node schemas accept

interface SchemaProblem {
  readonly where: string;
  readonly problem: string;
}

const resolveRef = (s: JsonObject): JsonObject => (typeof s['$ref'] === 'string' ? schemas[(s['$ref'] as string).split('/').pop()!]! : s);

/** The type names a (output or input) property may hold, for edge compatibility. */
const typeNames = (prop: JsonObject): Set<string> => {
  const names = new Set<string>();
  const visit = (s: JsonObject, collection: boolean): void => {
    if (Array.isArray(s['anyOf'])) for (const b of s['anyOf'] as JsonObject[]) visit(b, collection);
    else if (typeof s['$ref'] === 'string') names.add(`${collection ? '[]' : ''}${(s['$ref'] as string).split('/').pop()}`);
    else if (s['type'] === 'array') visit((s['items'] as JsonObject) ?? {}, true);
    else if (s['type'] === 'null') return;
    else if (s['type'] === undefined) names.add('*');
    else names.add(`${collection ? '[]' : ''}${String(s['type'])}`);
  };
  visit(prop, false);
  return names;
};

/** A schema-level check of a graph, in the spirit of the server's pydantic validation (written independently of lib/). */
const checkGraph = (graph: Graph): SchemaProblem[] => {
  const problems: SchemaProblem[] = [];
  for (const [id, node] of Object.entries(graph.nodes)) {
    const schema = invocationSchemas.get(node.type);
    if (node.id !== id) problems.push({ where: id, problem: `node id ${node.id} differs from its key` });
    if (schema === undefined) {
      problems.push({ where: id, problem: `unknown node type ${node.type}` });
      continue;
    }
    const props = schema['properties'] as Record<string, JsonObject>;
    for (const [field, value] of Object.entries(node)) {
      if (props[field] === undefined) problems.push({ where: `${id}.${field}`, problem: `${node.type} has no field ${field}` });
      if (field === 'board' && typeof value === 'string') problems.push({ where: `${id}.board`, problem: `board sent as a string (${value})` });
      if (value === null && props[field] !== undefined && !JSON.stringify(props[field]).includes('"null"')) {
        problems.push({ where: `${id}.${field}`, problem: 'null for a field that does not allow it' });
      }
    }
  }
  for (const e of graph.edges) {
    const where = edgeKey(e);
    const source = graph.nodes[e.source.node_id];
    const target = graph.nodes[e.destination.node_id];
    if (source === undefined || target === undefined) {
      problems.push({ where, problem: 'edge to a missing node' });
      continue;
    }
    const outputRef = (invocationSchemas.get(source.type)?.['output'] as JsonObject | undefined)?.['$ref'] as string | undefined;
    const outputProps = outputRef !== undefined ? (schemas[outputRef.split('/').pop()!]!['properties'] as Record<string, JsonObject>) : {};
    const out = outputProps[e.source.field];
    const inp = (invocationSchemas.get(target.type)?.['properties'] as Record<string, JsonObject> | undefined)?.[e.destination.field];
    if (out === undefined || out['field_kind'] === 'node_attribute') problems.push({ where, problem: `${source.type} has no output ${e.source.field}` });
    if (inp === undefined || inp['field_kind'] === 'node_attribute') problems.push({ where, problem: `${target.type} has no input ${e.destination.field}` });
    if (inp !== undefined && inp['input'] === 'direct') problems.push({ where, problem: `${target.type}.${e.destination.field} takes no connection` });
    if (e.destination.field in target) problems.push({ where, problem: `${e.destination.field} is both connected and set` });
    if (out !== undefined && inp !== undefined) {
      const from = typeNames(resolveRef(out) === out ? out : out);
      const to = typeNames(inp);
      const compatible =
        to.has('*') || from.has('*') || [...from].some((t) => to.has(t) || to.has(`[]${t}`) || (t === 'integer' && to.has('number')) || (t === '[]integer' && to.has('[]number')));
      if (!compatible) problems.push({ where, problem: `output type ${[...from].join('|')} does not fit input type ${[...to].join('|')}` });
    }
  }
  return problems;
};

describe('buildGraph on the 26 default workflows', () => {
  const names = defaultWorkflowNames();
  it('has all 26', () => expect(names).toHaveLength(26));

  /**
   * Three shipped workflows still use the image processor nodes that InvokeAI 6.x removed from its
   * schemas (replaced by `canny_edge_detection` / `depth_anything_depth_estimation`): the 6.14
   * server rejects them. Those nodes are listed here; everything else must check clean.
   */
  const REMOVED_NODE_TYPES: Readonly<Record<string, readonly string[]>> = {
    'ESRGAN Upscaling with Canny ControlNet': ['canny_image_processor'],
    'Face Detailer with IP-Adapter & Canny (See Note in Details)': ['canny_image_processor'],
    'Multi ControlNet (Canny & Depth)': ['canny_image_processor', 'midas_depth_image_processor'],
  };

  it.each(names)('%s: every node, field and edge is one the server schemas accept', (name) => {
    const graph = buildGraph(defaultWorkflow(name), { newId: () => 'g' });
    const problems = checkGraph(graph);
    const removed = REMOVED_NODE_TYPES[name] ?? [];
    const removedIds = Object.values(graph.nodes).filter((n) => removed.includes(n.type)).map((n) => n.id);
    expect([...new Set(Object.values(graph.nodes).filter((n) => !invocationSchemas.has(n.type)).map((n) => n.type))].sort()).toEqual([...removed].sort());
    expect(problems.filter((p) => !removedIds.some((id) => p.where.includes(id)))).toEqual([]);
    expect(Object.keys(graph.nodes).length).toBeGreaterThan(0);
  });

  it('the checker catches what it must (so that a passing check means something)', () => {
    const good = buildGraph(defaultWorkflow('Text to Image - SD1.5'), { newId: () => 'g' });
    const [noiseId, noise] = Object.entries(good.nodes).find(([, n]) => n.type === 'noise')!;
    const edge = good.edges.find((e) => e.destination.node_id !== noiseId)!;
    const target = good.nodes[edge.destination.node_id]!;
    const broken: Graph = {
      ...good,
      nodes: {
        ...good.nodes,
        [noiseId]: { ...noise, bogus: 1, board: 'auto' },
        x: { id: 'x', type: 'no_such_node' },
        [edge.destination.node_id]: { ...target, [edge.destination.field]: 1 },
      },
      edges: [...good.edges, { source: { node_id: noiseId, field: 'nope' }, destination: { node_id: noiseId, field: 'width' } }],
    };
    const found = checkGraph(broken).map((p) => p.problem);
    expect(found).toEqual(
      expect.arrayContaining([
        'noise has no field bogus',
        'noise has no field board',
        'board sent as a string (auto)',
        'unknown node type no_such_node',
        'noise has no output nope',
        `${edge.destination.field} is both connected and set`,
      ]),
    );
    const mistyped: Graph = {
      ...good,
      edges: [{ source: { node_id: noiseId, field: 'noise' }, destination: { node_id: edge.destination.node_id, field: edge.destination.field } }],
    };
    expect(checkGraph(mistyped).map((p) => p.problem).join('\n')).toMatch(/does not fit/);
  });
});

// ---------------------------------------------------------------------------------------------
// The steps of graph building (docs/server-contract.md) on small workflows

const wfOf = (json: unknown): Workflow => workflowFromObject(json);

describe('buildGraph steps (server contract, Graph building)', () => {
  it('keeps executable invocation nodes only: notes, connectors, batch and generator nodes are dropped', () => {
    const wf = wfOf(
      makeWorkflowJson(
        [
          invocation('a', 'integer', { value: 3 }),
          { id: 'n', type: 'notes', data: { id: 'n', type: 'notes', label: '', isOpen: true, notes: 'hi' }, position: { x: 0, y: 0 } },
          { id: 'c', type: 'connector', data: { id: 'c', type: 'connector', label: 'Connector', isOpen: true }, position: { x: 0, y: 0 } },
          invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [1, 2] }),
          invocation('g', 'float_generator', { generator: { type: 'float_generator_arithmetic_sequence', start: 0, step: 1, count: 2 } }),
        ],
        [],
      ),
    );
    const graph = buildGraph(wf, { newId: () => 'graph-1' });
    expect(graph).toEqual({ id: 'graph-1', nodes: { a: { type: 'integer', id: 'a', value: 3, use_cache: true, is_intermediate: true } }, edges: [] });
  });

  it('takes use_cache and is_intermediate from the node data, after the inputs', () => {
    const node = invocation('s', 'save_image', { image: { image_name: 'x.png' } }, { useCache: false, isIntermediate: false });
    const graph = buildGraph(wfOf(makeWorkflowJson([node], [])));
    expect(graph.nodes['s']).toEqual({ type: 'save_image', id: 's', image: { image_name: 'x.png' }, use_cache: false, is_intermediate: false });
    expect(Object.keys(graph.nodes['s']!).slice(-2)).toEqual(['use_cache', 'is_intermediate']);
  });

  it.each(['__proto__', 'constructor', 'toString'])('keeps a node whose id is %s, with its edges, as a field of its own in the JSON sent', (id) => {
    const nodes = [invocation(id, 'integer', { value: 3 }), invocation('m', 'mul', { a: 5, b: 7 })];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, [edge(id, 'value', 'm', 'a')])));
    expect(Object.keys(graph.nodes).sort()).toEqual([id, 'm'].sort());
    expect(Object.getPrototypeOf(graph.nodes)).toBe(Object.prototype);
    const sent = JSON.parse(JSON.stringify(graph)) as { nodes: Record<string, unknown> };
    expect(Object.prototype.hasOwnProperty.call(sent.nodes, id)).toBe(true);
    expect(sent.nodes[id]).toEqual({ type: 'integer', id, value: 3, use_cache: true, is_intermediate: true });
    expect(graph.edges).toEqual([{ source: { node_id: id, field: 'value' }, destination: { node_id: 'm', field: 'a' } }]);
  });

  it('drops collapsed edges, keeps hidden ones, removes duplicates and omits connected inputs', () => {
    const nodes = [invocation('a', 'integer', { value: 3 }), invocation('m', 'mul', { a: 5, b: 7 })];
    const edges = [
      edge('a', 'value', 'm', 'a'),
      { ...edge('a', 'value', 'm', 'a'), id: 'dup' },
      { ...edge('a', 'value', 'm', 'b'), hidden: true },
      { id: 'a-m-collapsed', type: 'collapsed', source: 'a', target: 'm' },
    ];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, edges)));
    expect(graph.edges).toEqual([
      { source: { node_id: 'a', field: 'value' }, destination: { node_id: 'm', field: 'a' } },
      { source: { node_id: 'a', field: 'value' }, destination: { node_id: 'm', field: 'b' } },
    ]);
    expect(graph.nodes['m']).toEqual({ type: 'mul', id: 'm', use_cache: true, is_intermediate: true });
  });

  it('resolves connector sources through chains of connectors', () => {
    const connector = (id: string) => ({ id, type: 'connector', data: { id, type: 'connector', label: 'Connector', isOpen: true }, position: { x: 0, y: 0 } });
    const nodes = [invocation('a', 'integer', { value: 3 }), connector('c1'), connector('c2'), invocation('m', 'mul', { a: 5, b: 7 })];
    const edges = [edge('a', 'value', 'c1', 'in'), edge('c1', 'out', 'c2', 'in'), edge('c2', 'out', 'm', 'b')];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, edges)));
    expect(graph.edges).toEqual([{ source: { node_id: 'a', field: 'value' }, destination: { node_id: 'm', field: 'b' } }]);
    expect(graph.nodes['m']).toEqual({ type: 'mul', id: 'm', a: 5, use_cache: true, is_intermediate: true });
    expect(Object.keys(graph.nodes).sort()).toEqual(['a', 'm']);
  });

  it('drops an edge from a connector that nothing feeds', () => {
    const nodes = [
      { id: 'c', type: 'connector', data: { id: 'c', type: 'connector', label: 'Connector', isOpen: true }, position: { x: 0, y: 0 } },
      invocation('m', 'mul', { a: 5, b: 7 }),
    ];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, [edge('c', 'out', 'm', 'a')])));
    expect(graph.edges).toEqual([]);
    expect(graph.nodes['m']).toMatchObject({ a: 5, b: 7 });
  });

  it('never sends board sentinels: auto → the auto-add board or nothing, none → nothing, {board_id} passes', () => {
    const nodes = [
      invocation('auto', 'l2i', { board: 'auto' }),
      invocation('none', 'l2i', { board: 'none' }),
      invocation('set', 'l2i', { board: { board_id: 'b1' } }),
      invocation('unset', 'l2i', { board: undefined }),
      invocation('no-instance', 'l2i', {}),
    ];
    const wf = wfOf(makeWorkflowJson(nodes, []));
    const without = buildGraph(wf);
    expect(without.nodes['auto']).not.toHaveProperty('board');
    expect(without.nodes['none']).not.toHaveProperty('board');
    expect(without.nodes['unset']).not.toHaveProperty('board');
    expect(without.nodes['set']!['board']).toEqual({ board_id: 'b1' });
    const withAuto = buildGraph(wf, { autoAddBoardId: 'ab' });
    expect(withAuto.nodes['auto']!['board']).toEqual({ board_id: 'ab' });
    expect(withAuto.nodes['unset']!['board']).toEqual({ board_id: 'ab' });
    expect(withAuto.nodes['none']).not.toHaveProperty('board');
    expect(withAuto.nodes['set']!['board']).toEqual({ board_id: 'b1' });
    expect(withAuto.nodes['no-instance']).not.toHaveProperty('board');
  });

  it('drops inputs the template does not declare, except on core_metadata', () => {
    const nodes = [invocation('a', 'integer', { value: 3, stale: 1 }), invocation('m', 'core_metadata', { width: 512, my_extra: 'x' })];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, [])));
    expect(graph.nodes['a']).not.toHaveProperty('stale');
    expect(graph.nodes['m']).toMatchObject({ width: 512, my_extra: 'x' });
  });

  it('keeps nodes of types the templates do not know (custom node packs), inputs as they are (a deliberate difference from the GUI)', () => {
    const nodes = [invocation('a', 'integer', { value: 3 }), invocation('x', 'my_pack_upscaler', { factor: 2, board: 'auto', missing: undefined })];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, [edge('a', 'value', 'x', 'factor')])));
    expect(graph.nodes['x']).toEqual({ type: 'my_pack_upscaler', id: 'x', use_cache: true, is_intermediate: true });
    expect(graph.edges).toHaveLength(1);
    const unconnected = buildGraph(wfOf(makeWorkflowJson([invocation('x', 'my_pack_upscaler', { factor: 2 })], [])));
    expect(unconnected.nodes['x']).toMatchObject({ factor: 2 });
  });

  it('folds call_saved_workflow dynamic inputs into workflow_inputs, leaving out connected ones', () => {
    const node = invocation('w', 'call_saved_workflow', {
      workflow_id: 'wf-1',
      workflow_inputs: { stale: true },
      'saved_workflow_input::n1::prompt': 'a cat',
      'saved_workflow_input::n1::seed': 5,
      'saved_workflow_input::n2::steps': 30,
    });
    const nodes = [invocation('a', 'integer', { value: 9 }), node];
    const graph = buildGraph(wfOf(makeWorkflowJson(nodes, [edge('a', 'value', 'w', 'saved_workflow_input::n1::seed')])));
    expect(graph.nodes['w']).toEqual({
      type: 'call_saved_workflow',
      id: 'w',
      workflow_id: 'wf-1',
      workflow_inputs: { 'saved_workflow_input::n1::prompt': 'a cat', 'saved_workflow_input::n2::steps': 30 },
      use_cache: true,
      is_intermediate: true,
    });
    const bare = buildGraph(wfOf(makeWorkflowJson([invocation('w', 'call_saved_workflow', { workflow_id: 'wf-1' })], [])));
    expect(bare.nodes['w']!['workflow_inputs']).toEqual({});
  });

  it('gives every graph a fresh uuid v4 id unless newId is given', () => {
    const wf = defaultWorkflow('Text to Image - SD1.5');
    const a = buildGraph(wf).id;
    const b = buildGraph(wf).id;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(buildGraph(wf, { newId: () => 'fixed' }).id).toBe('fixed');
  });

  it('never changes the workflow it is given', () => {
    const wf = defaultWorkflow('Tiled Upscaling (Beta)');
    const before = JSON.stringify(wf.json);
    const graph = buildGraph(wf, { autoAddBoardId: 'x' });
    expect(JSON.stringify(wf.json)).toBe(before);
    expect(Object.keys(graph.nodes).length).toBeGreaterThan(0);
    expect(Object.keys(offlineTemplates).length).toBe(307);
  });
});
