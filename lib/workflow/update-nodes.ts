// The editor's "Update nodes", as a pure edit: every node whose type's template has another version
// is brought to it. A node within its type's major version is updated as the editor updates it
// (`updateNode`: the node merged into a fresh one). A node of an older major version the editor
// refuses to update ("unable to update node"): its user must delete it and add a new node of the
// type. `updateNodes` makes that replacement, keeping the node's id, place and connections, and the
// values the new version still takes, and says so: a replaced node is reported apart from an
// updated one, with every input and edge it lost, so that nothing changes unnoticed.

import * as E from 'fp-ts/Either';
import type { LoadWarning } from './errors';
import { completeForm, nodeDisplayLabel } from './form';
import { nodeVersionStatus, replaceNodeData, updateNodeData, type NodeUpdateChange } from './node-version';
import { workflowNodeId } from './inputs';
import { connectedInputNames, repairEdges } from './repair';
import type { FieldTemplate, InvocationNode, WorkflowInput, WorkflowNode } from './types';
import type { Workflow } from './workflow';
import { checkValue } from './values';
import { makeWorkflow, workflowWarnings } from './workflow';

/** A node brought to its template's version. */
export interface NodeVersionChange extends NodeUpdateChange {
  /** The node's label as the GUI shows it. */
  readonly label: string;
  /** `updated` within the major version, as the editor does; `replaced` by a fresh node of the newer major version. */
  readonly how: 'updated' | 'replaced';
  /** For a replaced node: inputs whose value the new version does not take, reset to the default. */
  readonly resetInputs: readonly string[];
}

/** A node left as it was, and why. */
export interface NodeNotUpdated {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly label: string;
  readonly version: string;
  readonly reason: string;
}

/** What `updateNodes` did: the new workflow, the nodes it changed, what else went with them, the nodes it left. */
export interface NodeUpdate {
  readonly workflow: Workflow;
  readonly updated: readonly NodeVersionChange[];
  /** Edges that went with an input or output the updated nodes no longer have, described as the load warnings describe them. */
  readonly removedEdges: readonly LoadWarning[];
  /** Form fields that named an input the updated nodes no longer have. */
  readonly removedFormFields: readonly LoadWarning[];
  readonly notUpdated: readonly NodeNotUpdated[];
}

/** Whether a field of the new version takes a value of the old one, by the rules `setInput` checks. */
const fits = (node: InvocationNode, label: string) => (field: FieldTemplate, value: unknown): boolean => {
  const input: WorkflowInput = {
    index: -1,
    nodeId: workflowNodeId(node.id),
    nodeType: node.data.type,
    nodeLabel: label,
    fieldName: field.name,
    label: field.title,
    description: field.description,
    kind: field.kind,
    ...(field.itemKind !== undefined ? { itemKind: field.itemKind } : {}),
    value,
    required: field.required,
    input: field.input,
    constraints: field.constraints,
    connected: false,
    template: field,
  };
  return field.kind !== 'connection' && E.isRight(checkValue(input, value));
};

/**
 * Brings every node to its type's version in `wf.templates`, as the editor's "Update nodes" does,
 * and replaces the nodes the editor cannot update (an older major version) as its user would. Pure:
 * returns a new workflow and the report; nodes of unknown types, or newer than their template, are
 * left as they are and listed in `notUpdated`.
 *
 * @example
 * ```ts
 * import { Workflow, updateNodes, validateWorkflow } from 'invokeai-rx';
 * const { workflow, updated, notUpdated } = updateNodes(Workflow.fromJson(text));
 * for (const u of updated) console.log(`${u.label}: ${u.from} → ${u.to} (${u.how}), removed: ${u.removedInputs.join(', ')}`);
 * for (const n of notUpdated) console.warn(`${n.label}: ${n.reason}`);
 * validateWorkflow(workflow);
 * ```
 */
export const updateNodes = (wf: Workflow): NodeUpdate => {
  const { json, templates } = wf;
  const updated: NodeVersionChange[] = [];
  const notUpdated: NodeNotUpdated[] = [];
  let connected: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  const nodes: WorkflowNode[] = json.nodes.map((node) => {
    if (node.type !== 'invocation') return node;
    const template = templates[node.data.type];
    const label = nodeDisplayLabel(node, templates);
    const left = (reason: string): WorkflowNode => {
      notUpdated.push({ nodeId: node.id, nodeType: node.data.type, label, version: node.data.version, reason });
      return node;
    };
    if (template === undefined) return left(`these node templates have no type "${node.data.type}"`);
    switch (nodeVersionStatus(node.data, template)) {
      case 'current':
        return node;
      case 'updatable': {
        const r = updateNodeData(node, template, (connected ??= connectedInputNames(json.edges)).get(node.id) ?? new Set());
        updated.push({ ...r.change, label, how: 'updated', resetInputs: [] });
        return r.node;
      }
      case 'outdated': {
        const r = replaceNodeData(node, template, fits(node, label));
        updated.push({ ...r.change, label, how: 'replaced', resetInputs: r.resetInputs });
        return r.node;
      }
      case 'ahead':
        return left(`the node is version ${node.data.version}, newer than its type's ${template.version} in these templates: load the workflow with the templates of a newer server`);
      case 'unversioned':
        return left(`its version "${node.data.version}" is not a version; replace the node in the editor`);
    }
  });
  if (updated.length === 0) return { workflow: wf, updated, removedEdges: [], removedFormFields: [], notUpdated };

  const removedEdges: LoadWarning[] = [];
  const edges = repairEdges(json, nodes, templates, removedEdges);
  const form = completeForm(json.form, nodes, json.exposedFields, templates);
  const workflow = makeWorkflow({ ...json, form: form.form, nodes, edges }, templates, workflowWarnings(wf));
  return { workflow, updated, removedEdges, removedFormFields: form.warnings, notUpdated };
};
