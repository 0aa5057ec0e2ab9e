// Whole-workflow validation: every problem that would stop a run, reported at once. It covers what
// InvokeAI's GUI checks before it lets a workflow be invoked (the workflows tab of its readiness
// check and `getInvocationNodeErrors`): a graph with executable nodes, batch nodes that feed
// something, known node types, no input its node type lacks, required inputs set or connected,
// values within their field's rules; and a node its template is a newer major version of, which
// the GUI cannot update and so never runs. Beyond the GUI it also checks what the GUI's editor makes
// impossible but a file or code can hold (wrong kinds of values, dangling references).

import * as E from 'fp-ts/Either';
import type { InputIssue } from './errors';
import { elementPath, formFieldElements } from './form';
import { connectedInputs, describeCandidate, fieldKey, inputDescriber, listInputs, nodeDisplayLabel, nodeIndexById } from './inputs';
import { nodeVersionStatus } from './node-version';
import { unknownInputs } from './repair';
import type { InvocationNode, WorkflowInput } from './types';
import type { Workflow } from './workflow';
import { checkValue, connectionOnly } from './values';
import { BATCH_NODE_TYPES, isExecutableNode } from './graph';

/** Why a node made for an older major version of its type cannot run, and what to do. */
export const outdatedNodeMessage = (node: InvocationNode, label: string, templateVersion: string): string =>
  `Node "${label}" (${node.id}) is a ${node.data.type} of version ${node.data.version}, but its type is now version ${templateVersion}: ` +
  `InvokeAI's editor cannot update a node across a major version and will not run it. Replace the node in the editor ` +
  `(delete it, add a new ${node.data.type}, connect it again) and export the workflow again; if your server is older, ` +
  `load the workflow with its templates (Workflow.fromJson(text, { templates: await serverTemplates(client) })).`;

/** An input in a message: by index and label when it is in the form, else as `nodeLabel.field` with its ref. */
const describeInput = (input: WorkflowInput): string =>
  input.index >= 0 ? describeCandidate(input) : `"${input.nodeLabel}.${input.fieldName}" (ref "${input.nodeId}.${input.fieldName}", not in the form)`;

/**
 * Reports every problem at once: required inputs that are neither set nor fed by an edge, values
 * that break their field's rules, form fields naming missing nodes or fields, edges to or from
 * missing nodes, node types the templates do not know (the server rejects a graph with a node type
 * it lacks: validate against `await serverTemplates(client)` for custom node packs), inputs a node's type
 * does not have, nodes made for an older major version of their type, a workflow with nothing to
 * run, and batch nodes that feed nothing. `Right(wf)` when there are none.
 *
 * @example
 * ```ts
 * import { validateWorkflow } from 'invokeai-rx';
 * import { isLeft } from 'fp-ts/Either';
 * const r = validateWorkflow(wf);
 * if (isLeft(r)) for (const issue of r.left) console.error(issue.message);
 * ```
 */
export const validateWorkflow = (wf: Workflow): E.Either<readonly InputIssue[], Workflow> => {
  const issues: InputIssue[] = [];
  const { nodes, edges, form } = wf.json;
  const byId = nodeIndexById(nodes);
  const connected = connectedInputs(edges);

  edges.forEach((e, i) => {
    for (const end of ['source', 'target'] as const) {
      if (!byId.has(e[end])) {
        issues.push({ code: 'dangling-edge', ref: e.id, path: `$.edges[${i}].${end}`, message: `Edge "${e.id}" ${end === 'source' ? 'comes from' : 'goes to'} the missing node "${e[end]}".` });
      }
    }
  });

  for (const el of formFieldElements(form)) {
    const { nodeId, fieldName } = el.data.fieldIdentifier;
    const node = nodes[byId.get(nodeId) ?? -1];
    const ref = `${nodeId}.${fieldName}`;
    if (node === undefined || node.type !== 'invocation') {
      issues.push({ code: 'missing-node', ref, path: `${elementPath(el.id)}.data.fieldIdentifier.nodeId`, message: `Form field "${el.id}" names the missing node "${nodeId}".` });
    } else if (!(fieldName in node.data.inputs) && !(fieldName in (wf.templates[node.data.type]?.inputs ?? {}))) {
      issues.push({ code: 'missing-field', ref, path: `${elementPath(el.id)}.data.fieldIdentifier.fieldName`, message: `Form field "${el.id}" names "${fieldName}", which node "${nodeId}" (${node.data.type}) does not have.` });
    }
  }

  // Every invocation input, not only the form's: a required model left unset off-form fails the run too.
  const formInputs = new Map<string, WorkflowInput>(listInputs(wf).map((i) => [`${i.nodeId}.${i.fieldName}`, i] as const));
  const describe = inputDescriber(wf);
  nodes.forEach((node, n) => {
    if (node.type !== 'invocation') return;
    const template = wf.templates[node.data.type];
    const label = nodeDisplayLabel(node, wf.templates);
    if (template === undefined) {
      issues.push({
        code: 'unknown-node-type',
        ref: node.id,
        path: `$.nodes[${n}].data.type`,
        message: `Node "${label}" (${node.id}) has the type "${node.data.type}", which these node templates do not have: the server will reject the graph unless a node pack provides it. Replace the node, or load the workflow with the server's own templates (Workflow.fromJson(text, { templates: await serverTemplates(client) })).`,
      });
      return;
    }
    const outdated = nodeVersionStatus(node.data, template) === 'outdated';
    if (outdated) {
      issues.push({ code: 'node-version', ref: node.id, path: `$.nodes[${n}].data.version`, message: outdatedNodeMessage(node, label, template.version) });
    } else {
      for (const name of unknownInputs(node, template)) {
        issues.push({
          code: 'unknown-field',
          ref: `${node.id}.${name}`,
          path: `$.nodes[${n}].data.inputs.${name}`,
          message: `Node "${label}" (${node.id}, ${node.data.type} ${node.data.version}) has an input "${name}" that its type (version ${template.version}) does not have; the server would reject it. Remove the input, or load the workflow with the templates of the server it was made for.`,
        });
      }
    }
    for (const field of Object.values(template.inputs)) {
      // An outdated node is judged, as the GUI judges it, on the inputs it has; the rest is its replacement's.
      if (outdated && node.data.inputs[field.name] === undefined) continue;
      const ref = `${node.id}.${field.name}`;
      const path = `$.nodes[${n}].data.inputs.${field.name}`;
      if (connected.has(fieldKey(node.id, field.name))) continue;
      const value = node.data.inputs[field.name]?.value;
      const input: WorkflowInput = formInputs.get(ref) ?? describe(node.id, field.name, -1);
      const where = describeInput(input);
      if (value === undefined) {
        const edgeOnly = connectionOnly(field);
        if (field.required && !edgeOnly && field.default === undefined) {
          issues.push({ code: 'required-unset', ref, path, message: `Input ${where} is required but has no value; set it${input.index >= 0 ? ` with setInput(${input.index}, ...)` : ' in the editor'}.` });
        } else if (field.required && edgeOnly) {
          issues.push({ code: 'required-unset', ref, path, message: `Input ${where} is required and takes its value from an edge, but nothing is connected to it.` });
        }
        continue;
      }
      if (field.kind === 'connection') continue;
      const checked = checkValue(input, value);
      if (E.isLeft(checked)) issues.push({ ...checked.left, path });
    }
  });

  // The GUI's readiness check for the workflow as a whole.
  if (!nodes.some(isExecutableNode)) {
    issues.push({ code: 'no-nodes', ref: '$.nodes', path: '$.nodes', message: 'The workflow has no node the server can run (only notes, connectors, batch or generator nodes); add one in the editor.' });
  }
  nodes.forEach((node, n) => {
    if (node.type !== 'invocation' || !BATCH_NODE_TYPES.has(node.data.type)) return;
    if (edges.some((e) => e.source === node.id)) return;
    issues.push({
      code: 'batch-not-connected',
      ref: node.id,
      path: `$.nodes[${n}]`,
      message: `Batch node "${nodeDisplayLabel(node, wf.templates)}" (${node.id}) is connected to nothing, so its items would go nowhere; connect its output to the input it should vary, or remove it.`,
    });
  });

  return issues.length > 0 ? E.left(issues) : E.right(wf);
};
