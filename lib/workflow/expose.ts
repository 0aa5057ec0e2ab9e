// The editor's "add to form" and "remove from form" as pure, data-last functions: a node input
// becomes one of the form's inputs (the last), or stops being one. The value stays on its node;
// only the form tree (and, on request, the field's label) changes.

import * as E from 'fp-ts/Either';
import { produce } from 'immer';
import { InputError, type InputIssue, listLines } from './errors';
import { fieldSettings, formFieldElements, isFormEmpty, loadForm, nodeFieldElementId, withoutElements } from './form';
import { connectedInputs, fieldKey, inputPath, listInputs, type MutableInstance, nodeDisplayLabel, resolveInput } from './inputs';
import type { FieldIdentifier, FieldTemplate, InputRef, InvocationNode, NodeFieldElement, WorkflowForm, WorkflowJson } from './types';
import type { Workflow } from './workflow';
import { connectionOnly } from './values';
import { makeWorkflow, workflowWarnings } from './workflow';

/** Names a node input, in or out of the form: `nodeId.fieldName`, `nodeLabel.fieldName`, `nodeType.fieldName`, or a `FieldIdentifier`. */
export type NodeFieldRef = string | FieldIdentifier;

/** Options of `exposeInput`. */
export interface ExposeOptions {
  /** The label of the field (the input instance's label, as the editor's field title). */
  readonly label?: string;
}

/** A node input the ref resolved to. */
interface NodeInput {
  readonly node: InvocationNode;
  readonly fieldName: string;
  readonly template: FieldTemplate | undefined;
}

const listCandidates = (lines: readonly string[]): string => listLines(lines, 40, '  ');

const invocationNodes = (wf: Workflow): readonly InvocationNode[] =>
  wf.json.nodes.filter((n): n is InvocationNode => n.type === 'invocation');

/** The node's input names: its template's, then any its instance has that the template lacks. */
const fieldNamesOf = (wf: Workflow, node: InvocationNode): readonly string[] => {
  const fromTemplate = Object.keys(wf.templates[node.data.type]?.inputs ?? {});
  return [...fromTemplate, ...Object.keys(node.data.inputs).filter((f) => !fromTemplate.includes(f))];
};

/** How a node input is shown in an error's list of candidates. */
const describeNodeInput = (wf: Workflow, node: InvocationNode, fieldName: string): string => {
  const template = wf.templates[node.data.type]?.inputs[fieldName];
  const notes: string[] = [template?.kind ?? 'unknown kind'];
  if (connectionOnly(template)) notes.push('connection only');
  if (connectedInputs(wf.json.edges).has(fieldKey(node.id, fieldName))) notes.push('fed by an edge');
  const inForm = listInputs(wf).find((i) => i.nodeId === node.id && i.fieldName === fieldName);
  if (inForm !== undefined) notes.push(`form input #${inForm.index}`);
  const title = node.data.inputs[fieldName]?.label || template?.title || fieldName;
  return `"${nodeDisplayLabel(node, wf.templates)}.${fieldName}" ${JSON.stringify(title)} (${notes.join(', ')}; ref "${node.id}.${fieldName}", type ${node.data.type})`;
};

/** Every input a user could add to the form: neither connection-only nor fed by an edge. */
const exposableInputs = (wf: Workflow): readonly string[] => {
  const connected = connectedInputs(wf.json.edges);
  return invocationNodes(wf).flatMap((node) =>
    fieldNamesOf(wf, node)
      .filter((f) => !connectionOnly(wf.templates[node.data.type]?.inputs[f]) && !connected.has(fieldKey(node.id, f)))
      .map((f) => describeNodeInput(wf, node, f)),
  );
};

const refText = (field: NodeFieldRef): string => (typeof field === 'string' ? JSON.stringify(field) : `${field.nodeId}.${field.fieldName}`);

const unknown = (ref: string, message: string, candidates: readonly string[]): InputIssue => ({
  code: 'unknown-ref',
  ref,
  message: `${message}:\n${listCandidates(candidates)}`,
  candidates,
});

const onNode = (wf: Workflow, node: InvocationNode, fieldName: string, ref: string): E.Either<InputIssue, NodeInput> =>
  fieldNamesOf(wf, node).includes(fieldName)
    ? E.right({ node, fieldName, template: wf.templates[node.data.type]?.inputs[fieldName] })
    : E.left(
        unknown(
          ref,
          `Node "${nodeDisplayLabel(node, wf.templates)}" (${node.id}, type ${node.data.type}) has no input "${fieldName}"; its inputs are`,
          fieldNamesOf(wf, node).map((f) => describeNodeInput(wf, node, f)),
        ),
      );

/** Finds the one node input a ref names, or says why it cannot. */
const resolveNodeInput = (wf: Workflow, field: NodeFieldRef): E.Either<InputIssue, NodeInput> => {
  const nodes = invocationNodes(wf);
  if (typeof field !== 'string') {
    const node = nodes.find((n) => n.id === field.nodeId);
    return node !== undefined
      ? onNode(wf, node, field.fieldName, refText(field))
      : E.left(unknown(refText(field), `No invocation node has the id "${field.nodeId}". Inputs that can be added to the form`, exposableInputs(wf)));
  }
  // Field names never contain a dot; node labels may.
  const dot = field.lastIndexOf('.');
  if (dot <= 0 || dot === field.length - 1) {
    return E.left(
      unknown(field, `${refText(field)} does not name a node input: write "nodeId.fieldName", "nodeLabel.fieldName" or "nodeType.fieldName". Inputs that can be added to the form`, exposableInputs(wf)),
    );
  }
  const name = field.slice(0, dot);
  const fieldName = field.slice(dot + 1);
  const byId = nodes.find((n) => n.id === name);
  if (byId !== undefined) return onNode(wf, byId, fieldName, field);
  const matches = nodes.filter(
    (n) => (n.data.label !== '' && n.data.label === name) || wf.templates[n.data.type]?.title === name || n.data.type === name,
  );
  if (matches.length === 1) return onNode(wf, matches[0], fieldName, field);
  if (matches.length === 0) {
    return E.left(
      unknown(field, `No node is named "${name}" (by id, label, template title or node type). Inputs that can be added to the form`, exposableInputs(wf)),
    );
  }
  const candidates = matches.map((n) => (fieldNamesOf(wf, n).includes(fieldName) ? describeNodeInput(wf, n, fieldName) : `node ${n.id} "${nodeDisplayLabel(n, wf.templates)}" (type ${n.data.type}, no input "${fieldName}")`));
  return E.left({
    code: 'ambiguous-ref',
    ref: field,
    message: `${refText(field)} names ${matches.length} nodes; use "nodeId.fieldName" to pick one:\n${listCandidates(candidates)}`,
    candidates,
  });
};

/**
 * The form as `listInputs` presents it: an empty form with legacy `exposedFields` becomes the form
 * the loader (and the GUI) builds from them, so adding a field never shifts the existing indices.
 */
const materialisedForm = (wf: Workflow): WorkflowForm =>
  isFormEmpty(wf.json.form) && wf.json.exposedFields.length > 0
    ? loadForm(wf.json.form, wf.json.nodes, wf.json.exposedFields, wf.templates).form
    : wf.json.form;

const inForm = (form: WorkflowForm, nodeId: string, fieldName: string): boolean =>
  formFieldElements(form).some((el) => el.data.fieldIdentifier.nodeId === nodeId && el.data.fieldIdentifier.fieldName === fieldName);

/** The nodes with one input instance relabelled (created when the node has no instance for it yet). */
const relabel = (wf: Workflow, node: InvocationNode, fieldName: string, label: string): WorkflowJson['nodes'] => {
  const nodes = wf.json.nodes.slice();
  nodes[nodes.indexOf(node)] = produce(node, (draft) => {
    const inputs = draft.data.inputs as Record<string, MutableInstance>;
    const instance = inputs[fieldName];
    if (instance === undefined) inputs[fieldName] = { name: fieldName, label, description: '' };
    else instance.label = label;
  });
  return nodes;
};

/** Adds the node input to the form as its last input, as an fp-ts `Either` instead of throwing. Data-last. */
export const tryExposeInput =
  (field: NodeFieldRef, options: ExposeOptions = {}) =>
  (wf: Workflow): E.Either<InputError, Workflow> => {
    const resolved = resolveNodeInput(wf, field);
    if (E.isLeft(resolved)) return E.left(new InputError([resolved.left]));
    const { node, fieldName, template } = resolved.right;
    const ref = `${node.id}.${fieldName}`;
    const form = materialisedForm(wf);
    if (inForm(form, node.id, fieldName)) return E.right(wf);
    const where = `"${nodeDisplayLabel(node, wf.templates)}.${fieldName}" (ref "${ref}")`;
    if (connectionOnly(template)) {
      return E.left(
        new InputError([
          {
            code: 'wrong-kind',
            ref,
            path: inputPath(wf, node.id, fieldName),
            message: `Input ${where} takes only a connection (${template?.typeName ?? 'a connection'}), never a value, so it cannot be a form input; add the node input that feeds it instead.`,
          },
        ]),
      );
    }
    const source = connectedInputs(wf.json.edges).get(fieldKey(node.id, fieldName));
    if (source !== undefined) {
      return E.left(
        new InputError([
          {
            code: 'connected',
            ref,
            path: inputPath(wf, node.id, fieldName),
            message: `Input ${where} is fed by an edge from ${source}, so a value set through the form would never reach the server; add the source node's input instead, or remove the edge in the editor.`,
          },
        ]),
      );
    }

    const root = form.elements[form.rootElementId];
    // The loader guarantees a valid form; a hand-built value might not have a container root.
    if (root === undefined || root.type !== 'container') {
      return E.left(
        new InputError([{ code: 'missing-node', ref, path: '$.form', message: `The form's root "${form.rootElementId}" is not a container; re-export the workflow from the InvokeAI editor.` }]),
      );
    }
    const id = nodeFieldElementId(form.elements, node.id, fieldName);
    const settings = fieldSettings(node, fieldName, wf.templates);
    const element: NodeFieldElement = {
      id,
      parentId: root.id,
      type: 'node-field',
      // showDescription: true, as the editor's "add to form" builds it.
      data: { fieldIdentifier: { nodeId: node.id, fieldName }, showDescription: true, ...(settings ? { settings } : {}) },
    };
    const nextForm = produce(form, (draft) => {
      draft.elements[id] = element;
      const container = draft.elements[root.id];
      if (container.type === 'container') container.data.children.push(id);
    });
    // A form field names an input of its node: a node without an instance of that input (a hand-made
    // file; the GUI's nodes have one for every input) gets one, or the form field would not survive a load.
    let nodes = wf.json.nodes;
    const instance = node.data.inputs[fieldName];
    if (instance === undefined || (options.label !== undefined && instance.label !== options.label)) {
      nodes = relabel(wf, node, fieldName, options.label ?? instance?.label ?? '');
    }
    return E.right(makeWorkflow({ ...wf.json, form: nextForm, nodes }, wf.templates, workflowWarnings(wf)));
  };

/**
 * The editor's "add to form": makes a node input the form's last input, so that `setInput` can set
 * it. `field` is `nodeId.fieldName`, `nodeLabel.fieldName` (label or template title),
 * `nodeType.fieldName` (when the type is unique) or a `FieldIdentifier`; `options.label` sets the
 * field's label. A field already in the form returns the workflow unchanged. Throws `InputError`
 * for an unknown or ambiguous field (listing the node inputs), a connection-only field, or a field
 * fed by an edge. Data-last, for `pipe`; the given workflow never changes.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/function';
 * import { exposeInput, setInput } from 'invokeai-rx';
 * const sized = pipe(
 *   wf,
 *   exposeInput('noise.width', { label: 'Width' }),
 *   exposeInput('noise.height', { label: 'Height' }),
 *   setInput('Width', 832),
 *   setInput('Height', 1216),
 * );
 * ```
 */
export const exposeInput =
  (field: NodeFieldRef, options: ExposeOptions = {}) =>
  (wf: Workflow): Workflow => {
    const r = tryExposeInput(field, options)(wf);
    if (E.isLeft(r)) throw r.left;
    return r.right;
  };

/** The form input a ref names: an `InputRef` of the form, else a node input as `exposeInput` names them. */
const resolveHidden = (wf: Workflow, ref: InputRef | FieldIdentifier): E.Either<InputIssue, FieldIdentifier> => {
  if (typeof ref === 'object') return E.map((n: NodeInput) => ({ nodeId: n.node.id, fieldName: n.fieldName }))(resolveNodeInput(wf, ref));
  const asInput = resolveInput(wf, ref);
  if (E.isRight(asInput)) return E.right({ nodeId: asInput.right.nodeId, fieldName: asInput.right.fieldName });
  if (typeof ref === 'number' || asInput.left.code === 'ambiguous-ref') return asInput;
  const asNodeInput = resolveNodeInput(wf, ref);
  return E.isRight(asNodeInput) ? E.right({ nodeId: asNodeInput.right.node.id, fieldName: asNodeInput.right.fieldName }) : asInput;
};

/**
 * The inverse of `exposeInput`: removes the field from the form (every element showing it), so the
 * inputs after it move up one index. A node input that is not in the form returns the workflow
 * unchanged. `ref` is an `InputRef` or any name `exposeInput` takes. Throws `InputError`. Data-last.
 *
 * @example
 * ```ts
 * import { hideInput } from 'invokeai-rx';
 * const withoutBoard = hideInput('Board')(wf);
 * ```
 */
export const hideInput =
  (ref: InputRef | FieldIdentifier) =>
  (wf: Workflow): Workflow => {
    const resolved = resolveHidden(wf, ref);
    if (E.isLeft(resolved)) throw new InputError([resolved.left]);
    const { nodeId, fieldName } = resolved.right;
    const form = materialisedForm(wf);
    const removed = new Set(
      formFieldElements(form)
        .filter((el) => el.data.fieldIdentifier.nodeId === nodeId && el.data.fieldIdentifier.fieldName === fieldName)
        .map((el) => el.id),
    );
    if (removed.size === 0) return wf;
    const nextForm = withoutElements(form, removed);
    // An empty form with exposedFields left is rebuilt from them on load (here and in the GUI),
    // which would bring the field back: the legacy list loses it too, and empties with the form.
    const exposedFields = isFormEmpty(nextForm)
      ? []
      : wf.json.exposedFields.filter((f) => !(f.nodeId === nodeId && f.fieldName === fieldName));
    return makeWorkflow(
      { ...wf.json, form: nextForm, exposedFields: exposedFields.length === wf.json.exposedFields.length ? wf.json.exposedFields : exposedFields },
      wf.templates,
      workflowWarnings(wf),
    );
  };
