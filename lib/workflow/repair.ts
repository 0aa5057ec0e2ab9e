// The repairs InvokeAI's GUI makes when it opens a workflow (`validateWorkflow` in its
// `features/nodes/util/workflow/`), in its order, each reported as a `LoadWarning`:
// 1. every node whose version differs from its template's within the same major version is updated
//    to the template (see `node-version.ts`), silently unless inputs are removed; a node it may not
//    update stays as it is;
// 2. every edge from or to a node that does not exist, or from an output / into an input its node
//    type does not have, is deleted ("deleted invalid edge"), so that the rest can run;
// 3. an empty form is rebuilt from the legacy `exposedFields`;
// 4. every form field naming an input its node does not have is removed.
// One difference, on purpose: the GUI also deletes the edges of a node whose type its templates do
// not know. The GUI always has the server's templates; here they may be an older snapshot than the
// server (custom node packs), so such edges are kept, and `validateWorkflow` reports the node type.

import type { LoadWarning } from './errors';
import { completeForm, nodeDisplayLabel } from './form';
import { isDynamicInput, NODES_ACCEPTING_EXTRA_INPUTS, nodeVersionStatus, updateNodeData } from './node-version';
import type { DefaultEdge, InvocationNode, NodeTemplate, NodeTemplates, WorkflowEdge, WorkflowJson, WorkflowNode } from './types';

/** A connector's handles (`CONNECTOR_INPUT_HANDLE` / `CONNECTOR_OUTPUT_HANDLE` of the GUI). */
const CONNECTOR_IN = 'in';
const CONNECTOR_OUT = 'out';

const nodeName = (node: InvocationNode, templates: NodeTemplates): string =>
  `"${nodeDisplayLabel(node, templates)}" (${node.id}, ${node.data.type} ${node.data.version})`;

/** The inputs of a node its template does not have and nothing else accepts. */
export const unknownInputs = (node: InvocationNode, template: NodeTemplate): readonly string[] =>
  NODES_ACCEPTING_EXTRA_INPUTS.has(node.data.type)
    ? []
    : Object.keys(node.data.inputs).filter((name) => !(name in template.inputs) && !isDynamicInput(node.data, name));

/** The names of each node's inputs an edge feeds, by node id. */
export const connectedInputNames = (edges: readonly WorkflowEdge[]): ReadonlyMap<string, ReadonlySet<string>> => {
  const byNode = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.type !== 'default') continue;
    let names = byNode.get(e.target);
    if (names === undefined) byNode.set(e.target, (names = new Set()));
    names.add(e.targetHandle);
  }
  return byNode;
};

const NONE: ReadonlySet<string> = /*#__PURE__*/ new Set();

/** Step 1: nodes updated within their major version; the others reported. */
const repairNodes = (json: WorkflowJson, templates: NodeTemplates, warnings: LoadWarning[]): readonly WorkflowNode[] => {
  let connected: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  const connectedTo = (nodeId: string): ReadonlySet<string> => (connected ??= connectedInputNames(json.edges)).get(nodeId) ?? NONE;
  return json.nodes.map((node, i) => {
    if (node.type !== 'invocation') return node;
    const path = `$.nodes[${i}]`;
    const template = templates[node.data.type];
    if (template === undefined) {
      warnings.push({ code: 'unknown-node-type', path: `${path}.data.type`, message: `node ${nodeName(node, templates)}: these node templates have no type "${node.data.type}"; the node is kept as it is` });
      return node;
    }
    const status = nodeVersionStatus(node.data, template);
    if (status === 'updatable') {
      // The GUI updates silently; an update that takes inputs away (and their values) is worth a word.
      const { node: updated, change } = updateNodeData(node, template, connectedTo(node.id));
      if (change.removedInputs.length > 0) {
        warnings.push({
          code: 'node-updated',
          path: `${path}.data.version`,
          message: `node ${nodeName(node, templates)} updated to version ${template.version}, as the GUI updates it on load; inputs its type no longer has were removed: ${change.removedInputs.join(', ')}`,
        });
      }
      return updated;
    }
    if (status !== 'current') {
      warnings.push({
        code: 'node-not-updated',
        path: `${path}.data.version`,
        message: `node ${nodeName(node, templates)} cannot be updated to its type's version ${template.version}: ${
          status === 'unversioned' ? 'its version is not a version' : 'the major versions differ'
        }; the GUI leaves it as it is and will not run it until it is replaced`,
      });
      return node;
    }
    const unknown = unknownInputs(node, template);
    if (unknown.length > 0) {
      warnings.push({
        code: 'unknown-field',
        path: `${path}.data.inputs`,
        message: `node ${nodeName(node, templates)} has input${unknown.length === 1 ? '' : 's'} its type does not have: ${unknown.join(', ')}`,
      });
    }
    return node;
  });
};

/** Why an edge end is invalid, or `undefined`. `handle` is undefined for a collapsed edge. */
const endProblem = (
  node: WorkflowNode | undefined,
  id: string,
  end: 'source' | 'target',
  handle: string | undefined,
  templates: NodeTemplates,
): string | undefined => {
  if (node === undefined) return `${end} node "${id}" does not exist`;
  if (node.type === 'notes') return `${end} node "${id}" is a notes node`;
  if (node.type === 'connector') {
    const wanted = end === 'source' ? CONNECTOR_OUT : CONNECTOR_IN;
    return handle === undefined || handle === wanted ? undefined : `connector "${id}" has no ${end === 'source' ? 'output' : 'input'} "${handle}"`;
  }
  const template = templates[node.data.type];
  if (template === undefined || handle === undefined) return undefined;
  if (end === 'source') return handle in template.outputs ? undefined : `node "${id}" (${node.data.type}) has no output "${handle}"`;
  if (handle in template.inputs || isDynamicInput(node.data, handle) || NODES_ACCEPTING_EXTRA_INPUTS.has(node.data.type)) return undefined;
  return `node "${id}" (${node.data.type}) has no input "${handle}"`;
};

/** Step 2: invalid edges deleted (the GUI's `deletedInvalidEdge`, with its reasons). */
export const repairEdges = (json: WorkflowJson, nodes: readonly WorkflowNode[], templates: NodeTemplates, warnings: LoadWarning[]): readonly WorkflowEdge[] => {
  const byId = new Map(nodes.map((n) => [n.id, n] as const));
  const kept: WorkflowEdge[] = [];
  json.edges.forEach((edge, i) => {
    const handles = edge.type === 'default' ? (edge as DefaultEdge) : undefined;
    const problems = [
      endProblem(byId.get(edge.source), edge.source, 'source', handles?.sourceHandle, templates),
      endProblem(byId.get(edge.target), edge.target, 'target', handles?.targetHandle, templates),
    ].filter((p): p is string => p !== undefined);
    if (problems.length === 0) {
      kept.push(edge);
      return;
    }
    const from = handles ? `${edge.source}.${handles.sourceHandle}` : edge.source;
    const to = handles ? `${edge.target}.${handles.targetHandle}` : edge.target;
    warnings.push({ code: 'edge-removed', path: `$.edges[${i}]`, message: `invalid edge ${from} -> ${to} deleted: ${problems.join('; ')}` });
  });
  return kept.length === json.edges.length ? json.edges : kept;
};

/** What the repairs gave: the repaired workflow and what was done. */
export interface RepairResult {
  readonly json: WorkflowJson;
  readonly warnings: readonly LoadWarning[];
}

/** Makes the repairs the GUI makes on load (see the top of this file). Pure: `json` is not changed. */
export const repairWorkflow = (json: WorkflowJson, templates: NodeTemplates): RepairResult => {
  const warnings: LoadWarning[] = [];
  const nodes = repairNodes(json, templates, warnings);
  const edges = repairEdges(json, nodes, templates, warnings);
  const form = completeForm(json.form, nodes, json.exposedFields, templates);
  warnings.push(...form.warnings);
  return { json: { ...json, form: form.form, nodes, edges }, warnings };
};
