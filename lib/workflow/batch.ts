// Workflow → the `batch` of `POST /api/v1/queue/{queue_id}/enqueue_batch`, as the GUI's workflow
// editor builds it (its `useEnqueueWorkflows`; docs/server-contract.md, The enqueue batch): the
// graph, the workflow embedded without its id, and the batch data that batch nodes, generator nodes
// and sweeps turn into.

import { resolveGenerator } from './generators';
import type { Graph } from '../protocol/graph';
import { GENERATOR_NODE_TYPES, BATCH_NODE_TYPES, buildGraph, edgeIndex, resolveEdgeSource, type EdgeIndex } from './graph';
import * as E from 'fp-ts/Either';
import { InputError } from './errors';
import { getInput, nodeDisplayLabel, refOfKey } from './inputs';
import { nodeVersionStatus } from './node-version';
import { checkValue } from './values';
import type { DefaultEdge, InvocationNode, WorkflowJson } from './types';
import type { Workflow } from './workflow';

/** One swept field: the server runs the graph once per item, setting `node_path.field_name` to it. */
export interface BatchDatum {
  readonly node_path: string;
  readonly field_name: string;
  readonly items: readonly unknown[];
}

/**
 * The `batch` of `enqueue_batch`. `data` is a list of lists: the lists of one inner list are zipped
 * (same length), the inner lists are combined as a cartesian product.
 */
export interface Batch {
  readonly batch_id?: string;
  readonly graph: Graph;
  readonly workflow: WorkflowJson;
  readonly runs: number;
  readonly origin: string;
  readonly destination: string;
  readonly data: readonly (readonly BatchDatum[])[];
}

/** Values to sweep, keyed by input ref (index, label, field name, `nodeId.fieldName` ...). */
export interface Sweep {
  readonly values: Readonly<Record<string, readonly unknown[]>>;
  /** `product` (default): every combination. `zip`: the i-th values of every ref together (same lengths). */
  readonly mode?: 'product' | 'zip';
}

/** Options of `buildBatch`. */
export interface BatchOptions {
  /** How many times the whole batch runs (default 1). */
  readonly runs?: number;
  /** Stored on every queue item; a run layer passes a unique one to correlate events (default `workflows`, as the GUI's editor). */
  readonly origin?: string;
  /** Stored on every queue item (default `gallery`). */
  readonly destination?: string;
  /** Sets the batch id instead of letting the server make one. */
  readonly batchId?: string;
  /** The board that board inputs set to `auto` save to; without it they are left out (uncategorized). */
  readonly autoAddBoardId?: string;
  /** Makes the graph id (default: a fresh uuid v4). */
  readonly newId?: () => string;
  /** Extra batch data from input values. */
  readonly sweep?: Sweep;
  /** The source of randomness for unseeded random generators (default `Math.random`, as the GUI). */
  readonly random?: () => number;
}

/** Why the batch cannot be built. */
export type BatchErrorReason = 'MISMATCHED_BATCH_GROUP' | 'EMPTY_BATCHES' | 'MISMATCHED_SWEEP' | 'INVALID_SWEEP' | 'INVALID_RUNS' | 'OUTDATED_NODE';

/** The batch data cannot be built; the message names the nodes or inputs and what to change. */
export class BatchError extends Error {
  override readonly name = 'BatchError';
  constructor(
    message: string,
    readonly reason: BatchErrorReason,
  ) {
    super(message);
  }
}

const COLLECTION_INPUT: Readonly<Record<string, string>> = {
  image_batch: 'images',
  string_batch: 'strings',
  integer_batch: 'integers',
  float_batch: 'floats',
};

const nodeName = (node: InvocationNode): string => (node.data.label !== '' ? `"${node.data.label}" (${node.id})` : `${node.data.type} ${node.id}`);

/** The items of a batch node: its own collection, or the values of the generator connected to it. */
const batchItems = (json: WorkflowJson, index: EdgeIndex, node: InvocationNode, options: BatchOptions | undefined): readonly unknown[] => {
  const inputName = COLLECTION_INPUT[node.data.type]!;
  const incoming = json.edges.find((e): e is DefaultEdge => e.type === 'default' && e.target === node.id && e.targetHandle === inputName);
  if (incoming !== undefined) {
    const resolved = resolveEdgeSource(index, incoming.source, incoming.sourceHandle);
    const source = resolved !== undefined ? index.nodes.get(resolved.source) : undefined;
    if (source?.type === 'invocation' && GENERATOR_NODE_TYPES.has(source.data.type)) {
      const random = options?.random;
      return resolveGenerator(source.data.type, source.data.inputs['generator']?.value, {
        nodeId: source.id,
        ...(random !== undefined ? { random } : {}),
      });
    }
  }
  const own = node.data.inputs[inputName]?.value;
  return Array.isArray(own) ? own : [];
};

/** Edge targets downstream of a batch node's output, through connectors. */
const batchTargets = (json: WorkflowJson, index: EdgeIndex, from: string, handle: string, seen: Set<string> = new Set()): { node: string; field: string }[] => {
  const targets: { node: string; field: string }[] = [];
  for (const e of json.edges) {
    if (e.type !== 'default' || e.source !== from || e.sourceHandle !== handle) continue;
    const target = index.nodes.get(e.target);
    if (target?.type === 'connector') {
      if (seen.has(target.id)) continue;
      seen.add(target.id);
      targets.push(...batchTargets(json, index, target.id, 'out', seen));
    } else if (target?.type === 'invocation') {
      targets.push({ node: e.target, field: e.targetHandle });
    }
  }
  return targets;
};

/** The batch data of the workflow's batch nodes: group `None` → one product list per node; named groups → one zipped list each. */
export const batchNodeData = (wf: Workflow, options?: BatchOptions): BatchDatum[][] => {
  const { json } = wf;
  const index = edgeIndex(json);
  const batchNodes = json.nodes.filter((n): n is InvocationNode => n.type === 'invocation' && BATCH_NODE_TYPES.has(n.data.type));
  // Group in first-seen order, like the GUI's groupBy.
  const groups = new Map<string, InvocationNode[]>();
  for (const node of batchNodes) {
    const group = String(node.data.inputs['batch_group_id']?.value ?? 'None');
    groups.set(group, [...(groups.get(group) ?? []), node]);
  }
  const data: BatchDatum[][] = [];
  const empty: string[] = [];
  for (const [group, nodes] of groups) {
    const zipped: BatchDatum[] = [];
    const lengths: string[] = [];
    const sizes = new Set<number>();
    for (const node of nodes) {
      const items = batchItems(json, index, node, options);
      if (items.length === 0) empty.push(nodeName(node));
      lengths.push(`${nodeName(node)}: ${items.length}`);
      sizes.add(items.length);
      const handle = node.data.type === 'image_batch' ? 'image' : 'value';
      const targets = batchTargets(json, index, node.id, handle).filter(
        (t, i, all) => all.findIndex((u) => u.node === t.node && u.field === t.field) === i,
      );
      const datums = targets.map((t) => ({ node_path: t.node, field_name: t.field, items }));
      if (group === 'None') {
        if (datums.length > 0) data.push(datums);
      } else {
        zipped.push(...datums);
      }
    }
    if (group !== 'None') {
      if (sizes.size > 1) {
        throw new BatchError(
          `The batch nodes of "${group}" have different numbers of items (${lengths.join(', ')}); nodes of one group are zipped, so give them the same number of items or move one to another group.`,
          'MISMATCHED_BATCH_GROUP',
        );
      }
      if (zipped.length > 0) data.push(zipped);
    }
  }
  if (empty.length > 0) {
    throw new BatchError(`Batch node(s) ${empty.join(', ')} have no items; give each batch node at least one item, or remove it.`, 'EMPTY_BATCHES');
  }
  return data;
};

/** Sweep values as batch data: `zip` → one inner list, `product` → one inner list per ref. */
const sweepData = (wf: Workflow, sweep: Sweep): BatchDatum[][] => {
  const refs = Object.entries(sweep.values);
  const datums: BatchDatum[] = refs.map(([key, items]) => {
    const ref = refOfKey(key);
    if (!Array.isArray(items) || items.length === 0) {
      throw new BatchError(`The sweep of "${key}" has no values; give it a non-empty list.`, 'INVALID_SWEEP');
    }
    const input = getInput(wf, ref);
    if (BATCH_NODE_TYPES.has(input.nodeType) || GENERATOR_NODE_TYPES.has(input.nodeType)) {
      throw new BatchError(
        `Input "${key}" (${input.nodeLabel}.${input.fieldName}, ref "${input.nodeId}.${input.fieldName}") belongs to a ${input.nodeType} node, which never reaches the server: its items already become batch data. Set its items with setInput instead, or sweep the input it feeds.`,
        'INVALID_SWEEP',
      );
    }
    if (input.connected) {
      throw new BatchError(
        `Input "${key}" (${input.nodeLabel}.${input.fieldName}, ref "${input.nodeId}.${input.fieldName}") is fed by an edge, so sweeping it would have no effect; sweep the input that feeds it instead.`,
        'INVALID_SWEEP',
      );
    }
    // Each value must be one the input accepts, exactly as setInput would check it.
    const checked = items.map((item) => {
      const r = checkValue(input, item);
      if (E.isLeft(r)) throw new InputError([r.left]);
      return r.right;
    });
    return { node_path: input.nodeId, field_name: input.fieldName, items: checked };
  });
  if (datums.length === 0) return [];
  if (sweep.mode === 'zip') {
    const lengths = new Set(datums.map((d) => d.items.length));
    if (lengths.size > 1) {
      throw new BatchError(
        `A zipped sweep needs lists of one length, got ${refs.map(([k, v]) => `${k}: ${v.length}`).join(', ')}; make them equal or use mode 'product'.`,
        'MISMATCHED_SWEEP',
      );
    }
    return [datums];
  }
  return datums.map((d) => [d]);
};

/**
 * A node made for an older major version of its type is never sent, as InvokeAI's GUI never runs
 * one: the server's node of that type takes other inputs (`validateWorkflow` says the same).
 */
const refuseOutdatedNodes = (wf: Workflow): void => {
  const outdated = wf.json.nodes.filter((n): n is InvocationNode => {
    if (n.type !== 'invocation') return false;
    const template = wf.templates[n.data.type];
    return template !== undefined && nodeVersionStatus(n.data, template) === 'outdated';
  });
  if (outdated.length === 0) return;
  const list = outdated.map((n) => `"${nodeDisplayLabel(n, wf.templates)}" (${n.id}, ${n.data.type} ${n.data.version}, now ${wf.templates[n.data.type]!.version})`);
  throw new BatchError(
    `${outdated.length === 1 ? 'Node' : 'Nodes'} ${list.join(', ')} ${outdated.length === 1 ? 'was' : 'were'} made for an older major version of ${outdated.length === 1 ? 'its type' : 'their types'}; InvokeAI cannot update a node across a major version and will not run it. Replace ${outdated.length === 1 ? 'it' : 'them'} in the editor and export again, or load the workflow with the templates of the server it was made for (Workflow.fromJson(text, { templates: await serverTemplates(client) })).`,
    'OUTDATED_NODE',
  );
};

/**
 * Builds the `batch` of `enqueue_batch` for a workflow, as the GUI's workflow editor does. Throws
 * `BatchError` for batch data that cannot be built, and (`OUTDATED_NODE`) for a node made for an older
 * major version of its type, which the GUI never runs: `updateNodes` replaces such nodes.
 *
 * @example
 * ```ts
 * import { Workflow, buildBatch } from 'invokeai-rx';
 * const batch = buildBatch(Workflow.fromJson(text), { runs: 2, sweep: { values: { seed: [1, 2, 3] } } });
 * await fetch(`${url}/api/v1/queue/default/enqueue_batch`, { method: 'POST', body: JSON.stringify({ batch, prepend: false }) });
 * ```
 */
export const buildBatch = (wf: Workflow, options?: BatchOptions): Batch => {
  const runs = options?.runs ?? 1;
  if (!Number.isInteger(runs) || runs < 1) {
    throw new BatchError(`runs must be a positive integer, got ${String(runs)}.`, 'INVALID_RUNS');
  }
  refuseOutdatedNodes(wf);
  const graph = buildGraph(wf, {
    ...(options?.autoAddBoardId !== undefined ? { autoAddBoardId: options.autoAddBoardId } : {}),
    ...(options?.newId !== undefined ? { newId: options.newId } : {}),
  });
  // The sweep is checked first: a mistake in what the caller asked for is reported before the workflow's own.
  const swept = options?.sweep !== undefined ? sweepData(wf, options.sweep) : [];
  const data = [...batchNodeData(wf, options), ...swept];
  // Embedded workflows carry no id (the GUI deletes it before enqueueing).
  const { id: _id, ...workflow } = wf.json;
  return {
    ...(options?.batchId !== undefined ? { batch_id: options.batchId } : {}),
    graph,
    workflow: workflow as WorkflowJson,
    runs,
    origin: options?.origin ?? 'workflows',
    destination: options?.destination ?? 'gallery',
    data,
  };
};

/** How many queue items the server makes of a batch: `runs` × the product of the inner lists' lengths (each zipped list counts once). */
export const countBatchItems = (batch: Pick<Batch, 'runs' | 'data'>): number =>
  batch.data.reduce((product, zipped) => product * (zipped[0]?.items.length ?? 1), batch.runs);
