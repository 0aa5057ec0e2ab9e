// Whole-workflow validation: every problem that would stop a run, reported at once.

import * as E from 'fp-ts/Either';
import type { InputIssue } from './errors';
import { elementPath, formFieldElements } from './form';
import { connectedInputs, describeCandidate, fieldKey, inputDescriber, listInputs, nodeDisplayLabel, nodeIndexById } from './inputs';
import type { Workflow, WorkflowInput } from './types';
import { checkValue, connectionOnly } from './values';
import { isExecutableNode } from './graph';

/**
 * Reports every problem at once: required inputs that are neither set nor fed by an edge,
 * values that break their field's rules, form fields naming missing nodes or fields, and edges
 * to or from missing nodes, and node types the templates do not know (the server rejects a graph
 * with a node type it lacks: validate against `await client.templates()` for custom node packs).
 * `Right(wf)` when there are none.
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
    if (template === undefined) {
      if (isExecutableNode(node)) {
        issues.push({
          code: 'unknown-node-type',
          ref: node.id,
          path: `$.nodes[${n}].data.type`,
          message: `Node "${nodeDisplayLabel(node, wf.templates)}" (${node.id}) has the type "${node.data.type}", which these node templates do not have: the server will reject the graph unless a node pack provides it. Replace the node, or load the workflow with the server's own templates (Workflow.fromJson(text, { templates: await client.templates() })).`,
        });
      }
      return;
    }
    for (const field of Object.values(template.inputs)) {
      const ref = `${node.id}.${field.name}`;
      const path = `$.nodes[${n}].data.inputs.${field.name}`;
      if (connected.has(fieldKey(node.id, field.name))) continue;
      const value = node.data.inputs[field.name]?.value;
      const input: WorkflowInput = formInputs.get(ref) ?? describe(node.id, field.name, -1);
      const where = input.index >= 0 ? describeCandidate(input) : `"${input.label}" (${input.nodeLabel}.${field.name})`;
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

  return issues.length > 0 ? E.left(issues) : E.right(wf);
};
