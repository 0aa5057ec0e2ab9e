// Workflow → executable graph, following the GUI's `buildNodesGraph` (its `features/nodes/util/graph/`)
// step by step (docs/server-contract.md, Graph building).
// One deliberate difference: the GUI skips a node whose type its templates do not know (with a
// warning); here such a node is kept with its inputs as they are, because the templates may be an
// older snapshot than the server, and the server (with its custom node packs) is the judge.

import { ownValue } from '../internal/record';
import { uuidV4 } from '../internal/uuid';
import type { Graph, GraphEdge, GraphNode } from '../protocol/graph';
import { NODES_ACCEPTING_EXTRA_INPUTS, SAVED_WORKFLOW_INPUT_PREFIX } from './node-version';
import type { DefaultEdge, InvocationNode, NodeTemplate, WorkflowJson, WorkflowNode } from './types';
import type { Workflow } from './workflow';

/** Options of `buildGraph`. */
export interface GraphOptions {
  /** The board that board inputs set to `auto` (or unset) save to; without it they are left out (uncategorized). */
  readonly autoAddBoardId?: string;
  /** Makes the graph id (default: a fresh uuid v4). */
  readonly newId?: () => string;
}

/** Batch nodes: their collections become batch data, never graph nodes. */
export const BATCH_NODE_TYPES: ReadonlySet<string> = /*#__PURE__*/ new Set(['image_batch', 'string_batch', 'integer_batch', 'float_batch']);
/** Generator nodes: resolved on the client into batch data, never graph nodes. */
export const GENERATOR_NODE_TYPES: ReadonlySet<string> = /*#__PURE__*/ new Set(['image_generator', 'string_generator', 'integer_generator', 'float_generator']);

const CALL_SAVED_WORKFLOW = 'call_saved_workflow';

/** The node becomes a graph node: an invocation that is neither a batch nor a generator node. */
export const isExecutableNode = (node: WorkflowNode): node is InvocationNode =>
  node.type === 'invocation' && !BATCH_NODE_TYPES.has(node.data.type) && !GENERATOR_NODE_TYPES.has(node.data.type);

/** The value a board input sends: `{board_id}` passes, `auto`/unset means the auto-add board, `none` means nothing. */
const boardValue = (value: unknown, autoAddBoardId: string | undefined): unknown => {
  if (value === 'none') return undefined;
  if (value === 'auto' || value === undefined || value === null) {
    return autoAddBoardId !== undefined ? { board_id: autoAddBoardId } : undefined;
  }
  return value;
};

const isBoardInput = (template: NodeTemplate | undefined, name: string, value: unknown): boolean => {
  if (template !== undefined) return template.inputs[name]?.typeName === 'BoardField';
  // Without a template, a `board` input holding a GUI sentinel is still never sent as a string.
  return name === 'board' && (value === 'auto' || value === 'none');
};

const graphNode = (node: InvocationNode, template: NodeTemplate | undefined, options: GraphOptions | undefined): Record<string, unknown> => {
  const { data } = node;
  const inputs: Record<string, unknown> = {};
  const workflowInputs: Record<string, unknown> = {};
  const isCallSavedWorkflow = data.type === CALL_SAVED_WORKFLOW;
  for (const [name, instance] of Object.entries(data.inputs)) {
    const value = instance.value;
    if (isCallSavedWorkflow) {
      if (name.startsWith(SAVED_WORKFLOW_INPUT_PREFIX)) {
        if (value !== undefined) workflowInputs[name] = value;
        continue;
      }
      if (name === 'workflow_inputs') continue; // rebuilt from the dynamic inputs
    }
    if (template !== undefined && template.inputs[name] === undefined && !NODES_ACCEPTING_EXTRA_INPUTS.has(data.type)) {
      continue; // the server would reject a field its node does not declare
    }
    const sent = isBoardInput(template, name, value) ? boardValue(value, options?.autoAddBoardId) : value;
    if (sent !== undefined) inputs[name] = sent;
  }
  if (isCallSavedWorkflow) inputs['workflow_inputs'] = workflowInputs;
  // use_cache and is_intermediate come last so that they always come from the node data.
  return { type: data.type, id: node.id, ...inputs, use_cache: data.useCache, is_intermediate: data.isIntermediate };
};

/** What edge building needs to look up quickly: nodes by id and the edge into each connector. */
export interface EdgeIndex {
  readonly nodes: ReadonlyMap<string, WorkflowNode>;
  readonly connectorInputs: ReadonlyMap<string, DefaultEdge>;
}

/** Indexes a workflow's nodes and connector inputs. */
export const edgeIndex = (json: WorkflowJson): EdgeIndex => {
  const nodes = new Map(json.nodes.map((n) => [n.id, n] as const));
  const connectorInputs = new Map<string, DefaultEdge>();
  for (const e of json.edges) {
    if (e.type === 'default' && e.targetHandle === 'in' && nodes.get(e.target)?.type === 'connector' && !connectorInputs.has(e.target)) {
      connectorInputs.set(e.target, e);
    }
  }
  return { nodes, connectorInputs };
};

/** Follows chained connectors upstream to the node (and its output field) that feeds an edge's source. */
export const resolveEdgeSource = (
  index: EdgeIndex,
  source: string,
  sourceHandle: string,
): { readonly source: string; readonly sourceHandle: string } | undefined => {
  const seen = new Set<string>();
  while (index.nodes.get(source)?.type === 'connector') {
    if (seen.has(source)) return undefined; // a connector loop feeds nothing
    seen.add(source);
    const upstream = index.connectorInputs.get(source);
    if (upstream === undefined) return undefined;
    source = upstream.source;
    sourceHandle = upstream.sourceHandle;
  }
  return { source, sourceHandle };
};

/** The edges of the graph: default edges between executable nodes, connector sources resolved, duplicates removed. */
const graphEdges = (json: WorkflowJson, index: EdgeIndex = edgeIndex(json)): GraphEdge[] => {
  const executable = (id: string): boolean => {
    const n = index.nodes.get(id);
    return n !== undefined && isExecutableNode(n);
  };
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  for (const edge of json.edges) {
    if (edge.type !== 'default' || !executable(edge.target)) continue;
    const resolved = resolveEdgeSource(index, edge.source, edge.sourceHandle);
    if (resolved === undefined || !executable(resolved.source)) continue;
    const key = `${resolved.source}\u0000${resolved.sourceHandle}\u0000${edge.target}\u0000${edge.targetHandle}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({
      source: { node_id: resolved.source, field: resolved.sourceHandle },
      destination: { node_id: edge.target, field: edge.targetHandle },
    });
  }
  return edges;
};

/**
 * Builds the graph the GUI would submit for a workflow: executable invocation nodes
 * only, inputs fed by an edge left out, board sentinels resolved, `call_saved_workflow` inputs folded.
 *
 * @example
 * ```ts
 * import { Workflow, buildGraph } from 'invokeai-rx';
 * const graph = buildGraph(Workflow.fromJson(text), { autoAddBoardId: 'my-board' });
 * ```
 */
export const buildGraph = (wf: Workflow, options?: GraphOptions): Graph => {
  const { json, templates } = wf;
  // Node ids come from files: a Map, so that an id such as `__proto__` or `constructor` is a node like any other.
  const nodes = new Map<string, Record<string, unknown>>();
  for (const node of json.nodes) {
    if (!isExecutableNode(node)) continue;
    nodes.set(node.id, graphNode(node, ownValue(templates, node.data.type), options));
  }
  const edges = graphEdges(json);
  for (const edge of edges) {
    const target = nodes.get(edge.destination.node_id);
    if (target === undefined) continue;
    const field = edge.destination.field;
    const workflowInputs = target['workflow_inputs'];
    if (target['type'] === CALL_SAVED_WORKFLOW && field.startsWith(SAVED_WORKFLOW_INPUT_PREFIX) && typeof workflowInputs === 'object' && workflowInputs !== null) {
      delete (workflowInputs as Record<string, unknown>)[field];
    } else {
      delete target[field];
    }
  }
  // `Object.fromEntries` defines each id as a field of its own (an assignment of `__proto__` would set the prototype).
  return { id: (options?.newId ?? uuidV4)(), nodes: Object.fromEntries(nodes) as Record<string, GraphNode>, edges };
};
