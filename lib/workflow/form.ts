// The form builder tree: its validation and repair on load (as the GUI's `validateFormStructure`
// and `validateWorkflow` do), the form the GUI builds from legacy `exposedFields`, and the
// depth-first pre-order walk that fixes the order, hence the index, of a workflow's inputs.

import { isRight } from 'fp-ts/Either';
import { FormCodec, issuesFromErrors } from './codec';
import type { DecodeIssue } from './errors';
import type {
  FieldIdentifier,
  FormElement,
  NodeFieldElement,
  NodeTemplates,
  WorkflowForm,
  WorkflowNode,
} from './types';

/** The GUI's `getDefaultForm()`: an empty root column. */
export const defaultForm = (): WorkflowForm => ({
  rootElementId: 'root',
  elements: { root: { id: 'root', type: 'container', data: { layout: 'column', children: [] } } },
});

/** The GUI's `getIsFormEmpty`: only the root container, and it has no children. */
export const isFormEmpty = (form: WorkflowForm): boolean => {
  const ids = Object.keys(form.elements);
  const root = form.elements[form.rootElementId];
  return ids.length === 1 && root !== undefined && root.type === 'container' && root.data.children.length === 0;
};

/** Why the structure is invalid (`validateFormStructure`), or `undefined` when it is valid. */
export const formStructureProblem = (form: WorkflowForm): string | undefined => {
  const root = form.elements[form.rootElementId];
  if (root === undefined) return `the root element "${form.rootElementId}" does not exist`;
  if (root.type !== 'container') return `the root element "${form.rootElementId}" is not a container`;
  if (root.parentId !== undefined) return `the root element "${form.rootElementId}" has a parentId`;
  for (const [key, el] of Object.entries(form.elements)) {
    if (el.id !== key) return `element "${key}" has the id "${el.id}"`;
    if (key === form.rootElementId) continue;
    const parent = el.parentId === undefined ? undefined : form.elements[el.parentId];
    if (parent === undefined || parent.type !== 'container') return `element "${key}" has no container parent`;
    if (!parent.data.children.includes(key)) return `element "${key}" is not among the children of its parent`;
  }
  const reached = new Set<string>();
  const visit = (id: string): string | undefined => {
    if (reached.has(id)) return `element "${id}" is reached twice`;
    const el = form.elements[id];
    if (el === undefined) return `a container lists the missing element "${id}"`;
    reached.add(id);
    if (el.type === 'container') {
      for (const child of el.data.children) {
        const problem = visit(child);
        if (problem !== undefined) return problem;
      }
    }
    return undefined;
  };
  const problem = visit(form.rootElementId);
  if (problem !== undefined) return problem;
  if (reached.size !== Object.keys(form.elements).length) return 'some elements are not reachable from the root';
  return undefined;
};

/** The node-field elements in depth-first pre-order from `form.rootElementId`. */
export const formFieldElements = (form: WorkflowForm): readonly NodeFieldElement[] => {
  const out: NodeFieldElement[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    // A repaired form has no cycles; the guard keeps a hand-built one from looping forever.
    if (seen.has(id)) return;
    seen.add(id);
    const el = form.elements[id];
    if (el === undefined) return;
    if (el.type === 'node-field') out.push(el);
    else if (el.type === 'container') el.data.children.forEach(visit);
  };
  visit(form.rootElementId);
  return out;
};

/** The field identifiers of the form, in input order. */
export const formFieldOrder = (form: WorkflowForm): readonly FieldIdentifier[] =>
  formFieldElements(form).map((el) => el.data.fieldIdentifier);

/** `$.form.elements["id"]`: the JSON path of a form element. */
export const elementPath = (id: string): string => `$.form.elements[${JSON.stringify(id)}]`;

/** Whether `fieldName` is an input of the invocation node (its instance, or its template's field). */
const nodeHasField = (node: WorkflowNode, fieldName: string, templates: NodeTemplates): boolean => {
  if (node.type !== 'invocation') return false;
  if (Object.prototype.hasOwnProperty.call(node.data.inputs, fieldName)) return true;
  const template = templates[node.data.type];
  return template !== undefined && Object.prototype.hasOwnProperty.call(template.inputs, fieldName);
};

/** `buildNodeFieldElement` settings: only single integer, float and string fields get them. */
export const fieldSettings = (node: WorkflowNode, fieldName: string, templates: NodeTemplates): Record<string, unknown> | undefined => {
  if (node.type !== 'invocation') return undefined;
  const field = templates[node.data.type]?.inputs[fieldName];
  if (field === undefined || field.itemKind !== undefined) return undefined;
  switch (field.kind) {
    case 'integer':
      return { type: 'integer-field-config', showShuffle: false, component: 'number-input' };
    case 'float':
      return { type: 'float-field-config', showShuffle: false, component: 'number-input' };
    case 'string':
      return { type: 'string-field-config', component: 'input' };
    default:
      return undefined;
  }
};

/** What loading the form produced: the form to use, repairs made, and fatal problems. */
export interface FormResult {
  readonly form: WorkflowForm;
  readonly warnings: readonly DecodeIssue[];
  readonly issues: readonly DecodeIssue[];
}

/**
 * Validates and repairs the form as the GUI does on load: an invalid form becomes the default
 * one; a node-field naming a field its node lacks is removed; an empty form is rebuilt from
 * `exposedFields`. A node-field naming a node that does not exist is fatal: the file is
 * inconsistent, and silently dropping an input the author exposed would shift every index.
 */
export const loadForm = (
  rawForm: unknown,
  nodes: readonly WorkflowNode[],
  exposedFields: readonly FieldIdentifier[],
  templates: NodeTemplates,
): FormResult => {
  const warnings: DecodeIssue[] = [];
  const issues: DecodeIssue[] = [];
  let form: WorkflowForm = defaultForm();
  if (rawForm !== undefined && rawForm !== null) {
    const decoded = FormCodec.decode(rawForm);
    if (isRight(decoded)) {
      const candidate = decoded.right as unknown as WorkflowForm;
      const problem = formStructureProblem(candidate);
      if (problem === undefined) form = candidate;
      else warnings.push({ path: '$.form', message: `invalid form replaced by an empty one: ${problem}` });
    } else {
      const first = issuesFromErrors(decoded.left)[0];
      const where = first === undefined ? '' : `: ${first.path.replace(/^\$/, '$.form')} ${first.message}`;
      warnings.push({ path: '$.form', message: `invalid form replaced by an empty one${where}` });
    }
  }

  const nodesById = new Map(nodes.map((n) => [n.id, n] as const));
  const removed = new Set<string>();
  for (const el of Object.values(form.elements)) {
    if (el.type !== 'node-field') continue;
    const { nodeId, fieldName } = el.data.fieldIdentifier;
    const node = nodesById.get(nodeId);
    if (node === undefined || node.type !== 'invocation') {
      issues.push({
        path: `${elementPath(el.id)}.data.fieldIdentifier.nodeId`,
        message: `the form names the node "${nodeId}", which is not an invocation node of this workflow`,
      });
    } else if (!nodeHasField(node, fieldName, templates)) {
      removed.add(el.id);
      warnings.push({
        path: `${elementPath(el.id)}.data.fieldIdentifier.fieldName`,
        message: `form field removed: node "${nodeId}" (${node.data.type}) has no input "${fieldName}"`,
      });
    }
  }
  if (removed.size > 0) form = withoutElements(form, removed);

  if (exposedFields.length > 0 && isFormEmpty(form)) {
    form = formFromExposedFields(exposedFields, nodesById, templates, warnings);
  }
  return { form, warnings, issues };
};

/** The form without the given elements, each also dropped from its container's children. */
export const withoutElements = (form: WorkflowForm, removed: ReadonlySet<string>): WorkflowForm => {
  const elements: Record<string, FormElement> = {};
  for (const [id, el] of Object.entries(form.elements)) {
    if (removed.has(id)) continue;
    elements[id] =
      el.type === 'container' && el.data.children.some((c) => removed.has(c))
        ? { ...el, data: { ...el.data, children: el.data.children.filter((c) => !removed.has(c)) } }
        : el;
  }
  return { rootElementId: form.rootElementId, elements };
};

/**
 * A new node-field element's id, unused in `elements`. Deterministic (the GUI draws random ones), so
 * that exports and snapshots stay stable.
 */
export const nodeFieldElementId = (elements: Readonly<Record<string, FormElement>>, nodeId: string, fieldName: string): string => {
  let id = `node-field-${nodeId}-${fieldName}`;
  while (elements[id] !== undefined) id += '-';
  return id;
};

const formFromExposedFields = (
  exposedFields: readonly FieldIdentifier[],
  nodesById: ReadonlyMap<string, WorkflowNode>,
  templates: NodeTemplates,
  warnings: DecodeIssue[],
): WorkflowForm => {
  const elements: Record<string, FormElement> = {};
  const children: string[] = [];
  exposedFields.forEach(({ nodeId, fieldName }, i) => {
    const node = nodesById.get(nodeId);
    if (node === undefined || !nodeHasField(node, fieldName, templates)) {
      warnings.push({
        path: `$.exposedFields[${i}]`,
        message: `exposed field ${nodeId}.${fieldName} left out of the form: no such node input`,
      });
      return;
    }
    const id = nodeFieldElementId(elements, nodeId, fieldName);
    const settings = fieldSettings(node, fieldName, templates);
    elements[id] = {
      id,
      parentId: 'root',
      type: 'node-field',
      data: { fieldIdentifier: { nodeId, fieldName }, showDescription: false, ...(settings ? { settings } : {}) },
    };
    children.push(id);
  });
  return {
    rootElementId: 'root',
    elements: { root: { id: 'root', type: 'container', data: { layout: 'column', children } }, ...elements },
  };
};
