// The form builder tree: its validation and repair on load (as the GUI's `validateFormStructure`
// and `validateWorkflow` do), the form the GUI builds from legacy `exposedFields`, and the
// depth-first pre-order walk that fixes the order, hence the index, of a workflow's inputs.
// A form element names a node input by node id and field name; the value lives on the node.

import { isRight } from 'fp-ts/Either';
import { FormCodec, issuesFromErrors } from './codec';
import type { LoadWarning } from './errors';
import { updatedFieldName } from './node-version';
import type {
  FieldIdentifier,
  InvocationNode,
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

/** What loading the form produced: the form to use and the repairs made. */
export interface FormResult {
  readonly form: WorkflowForm;
  readonly warnings: readonly LoadWarning[];
}

/**
 * The form of a file, as the GUI's schema reads it: a form that does not decode, or whose tree is
 * not valid (`validateFormStructure`), is replaced by the default (empty) one, with a warning.
 */
export const parseForm = (rawForm: unknown): FormResult => {
  if (rawForm === undefined || rawForm === null) return { form: defaultForm(), warnings: [] };
  const decoded = FormCodec.decode(rawForm);
  if (isRight(decoded)) {
    const candidate = decoded.right as unknown as WorkflowForm;
    const problem = formStructureProblem(candidate);
    if (problem === undefined) return { form: candidate, warnings: [] };
    return { form: defaultForm(), warnings: [{ code: 'invalid-form', path: '$.form', message: `invalid form replaced by an empty one: ${problem}` }] };
  }
  const first = issuesFromErrors(decoded.left)[0];
  const where = first === undefined ? '' : `: ${first.path.replace(/^\$/, '$.form')} ${first.message}`;
  return { form: defaultForm(), warnings: [{ code: 'invalid-form', path: '$.form', message: `invalid form replaced by an empty one${where}` }] };
};

/**
 * Completes a parsed form as the GUI's `validateWorkflow` does, in its order: an empty form is
 * rebuilt from the legacy `exposedFields`; then every node-field whose node has no such input is
 * removed, with a warning (`deletedMissingNodeFieldFormElement`).
 */
export const completeForm = (
  parsed: WorkflowForm,
  nodes: readonly WorkflowNode[],
  exposedFields: readonly FieldIdentifier[],
  templates: NodeTemplates,
): FormResult => {
  const warnings: LoadWarning[] = [];
  const nodesById = new Map(nodes.map((n) => [n.id, n] as const));
  let form = parsed;
  if (exposedFields.length > 0 && isFormEmpty(form)) form = formFromExposedFields(exposedFields, nodesById, templates, warnings);

  const removed = new Set<string>();
  const renamed = new Map<string, string>();
  for (const el of Object.values(form.elements)) {
    if (el.type !== 'node-field') continue;
    const { nodeId, fieldName } = el.data.fieldIdentifier;
    const node = nodesById.get(nodeId);
    const path = `${elementPath(el.id)}.data.fieldIdentifier`;
    if (node === undefined || node.type !== 'invocation') {
      removed.add(el.id);
      warnings.push({ code: 'form-field-removed', path: `${path}.nodeId`, message: `form field "${el.id}" removed: the workflow has no invocation node "${nodeId}"` });
      continue;
    }
    const name = updatedFieldName(node.data, fieldName);
    if (!Object.prototype.hasOwnProperty.call(node.data.inputs, name)) {
      removed.add(el.id);
      warnings.push({ code: 'form-field-removed', path: `${path}.fieldName`, message: `form field "${el.id}" removed: node "${nodeDisplayLabel(node, templates)}" (${nodeId}, ${node.data.type}) has no input "${fieldName}"` });
    } else if (name !== fieldName) {
      renamed.set(el.id, name);
    }
  }
  if (renamed.size > 0) form = withRenamedFields(form, renamed);
  if (removed.size > 0) form = withoutElements(form, removed);
  return { form, warnings };
};

/**
 * The form as the GUI has it after loading: parsed (an invalid one replaced), rebuilt from
 * `exposedFields` when empty, node-fields naming missing inputs removed.
 */
export const loadForm = (
  rawForm: unknown,
  nodes: readonly WorkflowNode[],
  exposedFields: readonly FieldIdentifier[],
  templates: NodeTemplates,
): FormResult => {
  const parsed = parseForm(rawForm);
  const completed = completeForm(parsed.form, nodes, exposedFields, templates);
  return { form: completed.form, warnings: [...parsed.warnings, ...completed.warnings] };
};

/** The label the GUI shows for a node: its own, else the template's title, else its type. */
export const nodeDisplayLabel = (node: InvocationNode, templates: NodeTemplates): string =>
  node.data.label !== '' ? node.data.label : templates[node.data.type]?.title ?? node.data.type;

const withRenamedFields = (form: WorkflowForm, renamed: ReadonlyMap<string, string>): WorkflowForm => {
  const elements: Record<string, FormElement> = {};
  for (const [id, el] of Object.entries(form.elements)) {
    const name = renamed.get(id);
    elements[id] =
      name !== undefined && el.type === 'node-field'
        ? { ...el, data: { ...el.data, fieldIdentifier: { ...el.data.fieldIdentifier, fieldName: name } } }
        : el;
  }
  return { rootElementId: form.rootElementId, elements };
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

/**
 * The GUI's form for a workflow with legacy `exposedFields` and no form: one node-field per exposed
 * field, in their order, under the root column (`showDescription: false`). The GUI needs the field's
 * template to build the element, so a field its node type does not have is left out with a warning.
 * A node whose type the templates do not know keeps the fields it has (the templates may be an
 * older snapshot than the server's; the GUI, which always has the server's, would leave them out).
 */
const formFromExposedFields = (
  exposedFields: readonly FieldIdentifier[],
  nodesById: ReadonlyMap<string, WorkflowNode>,
  templates: NodeTemplates,
  warnings: LoadWarning[],
): WorkflowForm => {
  const elements: Record<string, FormElement> = {};
  const children: string[] = [];
  exposedFields.forEach((exposed, i) => {
    const { nodeId } = exposed;
    const node = nodesById.get(nodeId);
    const fieldName = node?.type === 'invocation' ? updatedFieldName(node.data, exposed.fieldName) : exposed.fieldName;
    const template = node?.type === 'invocation' ? templates[node.data.type] : undefined;
    const known =
      node?.type === 'invocation' &&
      (template !== undefined
        ? Object.prototype.hasOwnProperty.call(template.inputs, fieldName)
        : Object.prototype.hasOwnProperty.call(node.data.inputs, fieldName));
    if (node === undefined || !known) {
      warnings.push({
        code: 'exposed-field-skipped',
        path: `$.exposedFields[${i}]`,
        message: `exposed field ${nodeId}.${exposed.fieldName} left out of the form: ${node === undefined ? 'no such node' : `its node type has no input "${exposed.fieldName}"`}`,
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
