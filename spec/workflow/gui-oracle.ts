// What InvokeAI's GUI (6.14) shows for a workflow file, worked out here independently of the library
// so that the corpus test compares the library with the GUI's rules rather than with itself. Each
// function follows one piece of the GUI's frontend (`invokeai/frontend/web/src/features/nodes/`):
// - `guiForm`: the form after `validateWorkflow` (form kept when valid, rebuilt from `exposedFields`
//   when empty, node-fields naming an input the node lacks after the load-time node update removed);
// - `guiBlockers`: the workflows tab of `readiness.ts` with `getInvocationNodeErrors` of
//   `store/util/fieldValidators.ts` (the reasons the Invoke button is disabled).
// They read plain JSON and the templates only; the library's code is not used.

import type { FieldTemplate, NodeTemplates } from '../../lib/workflow/types';

type Json = Record<string, any>;

const BATCH = new Set(['image_batch', 'string_batch', 'integer_batch', 'float_batch']);
const GENERATOR = new Set(['image_generator', 'string_generator', 'integer_generator', 'float_generator']);
const EXTRA_INPUTS = new Set(['core_metadata']);

const major = (v: unknown): number | undefined => {
  const m = typeof v === 'string' ? /^v?(\d+)(\.\d+)?(\.\d+)?$/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
};

/** The input names a node has once the GUI loaded it: the template's after a same-major update, else its own. */
export const guiInputNames = (node: Json, templates: NodeTemplates): readonly string[] => {
  const data = node.data ?? {};
  const own = Object.keys(data.inputs ?? {});
  const template = templates[data.type];
  const version = typeof data.version === 'string' ? data.version : '1.0.0';
  if (template === undefined || version === template.version) return own;
  if (major(version) === undefined || major(version) !== major(template.version)) return own;
  return [...Object.keys(template.inputs), ...own.filter((n) => n.startsWith('saved_workflow_input::'))];
};

/** `nodeId.fieldName` of each input of the form the GUI shows, in its order. */
export const guiForm = (raw: Json, templates: NodeTemplates): string[] => {
  const nodes = new Map<string, Json>((raw.nodes as Json[]).filter((n) => n.type === 'invocation').map((n) => [n.id, n]));
  const has = (nodeId: string, field: string) => {
    const node = nodes.get(nodeId);
    return node !== undefined && guiInputNames(node, templates).includes(field);
  };
  const schema = raw.meta?.version;
  const form: Json | undefined = schema === '3.0.0' || schema === '4.0.0' ? raw.form : undefined;
  const root = form?.elements?.[form?.rootElementId];
  const ordered: { nodeId: string; fieldName: string }[] = [];
  const empty = root === undefined || (Object.keys(form!.elements).length === 1 && (root.data?.children ?? []).length === 0);
  if (empty) {
    for (const f of (raw.exposedFields ?? []) as Json[]) {
      const node = nodes.get(f.nodeId);
      if (node !== undefined && templates[node.data.type]?.inputs[f.fieldName] !== undefined) ordered.push({ nodeId: f.nodeId, fieldName: f.fieldName });
    }
  } else {
    const visit = (id: string): void => {
      const el = form!.elements[id];
      if (el === undefined) return;
      if (el.type === 'node-field') ordered.push(el.data.fieldIdentifier);
      if (el.type === 'container') for (const child of el.data.children) visit(child);
    };
    visit(form!.rootElementId);
  }
  return ordered.filter((f) => has(f.nodeId, f.fieldName)).map((f) => `${f.nodeId}.${f.fieldName}`);
};

const numberProblems = (n: number, t: FieldTemplate): string[] => {
  const c = t.constraints;
  const out: string[] = [];
  if (c.maximum !== undefined && n > c.maximum) out.push('> maximum');
  if (c.minimum !== undefined && n < c.minimum) out.push('< minimum');
  if (c.exclusiveMaximum !== undefined && n >= c.exclusiveMaximum) out.push('>= exclusiveMaximum');
  if (c.exclusiveMinimum !== undefined && n <= c.exclusiveMinimum) out.push('<= exclusiveMinimum');
  if (c.multipleOf !== undefined && n % c.multipleOf !== 0) out.push('not a multiple');
  return out;
};

const countProblems = (count: number, t: FieldTemplate): string[] => {
  const { minItems, maxItems } = t.constraints;
  if (minItems !== undefined && minItems > 0 && count === 0) return ['empty'];
  const out: string[] = [];
  if (minItems !== undefined && count < minItems) out.push('too few');
  if (maxItems !== undefined && count > maxItems) out.push('too many');
  return out;
};

/** The value problems `getFieldErrors` finds (numbers, and image, string and number collections). */
const valueProblems = (value: unknown, t: FieldTemplate): string[] => {
  if (t.kind === 'collection' && Array.isArray(value)) {
    const out = countProblems(value.length, t);
    if (t.itemKind === 'integer' || t.itemKind === 'float') for (const n of value) if (typeof n === 'number') out.push(...numberProblems(n, t));
    if (t.itemKind === 'string') {
      for (const s of value) {
        if (typeof s !== 'string') continue;
        if (t.constraints.maxLength !== undefined && s.length > t.constraints.maxLength) out.push('too long');
        if (t.constraints.minLength !== undefined && s.length < t.constraints.minLength) out.push('too short');
      }
    }
    return t.itemKind === 'integer' || t.itemKind === 'float' || t.itemKind === 'string' || t.itemKind === 'image' ? out : [];
  }
  if ((t.kind === 'integer' || t.kind === 'float') && t.itemKind === undefined && typeof value === 'number') return numberProblems(value, t);
  return [];
};

/**
 * The GUI's reasons why a loaded workflow cannot be invoked, as keys: `no-nodes`, `batch:<id>`
 * (a batch node connected to nothing), `node:<id>` (no template, or an input without a field
 * template), `field:<id>.<name>` (a required input neither set nor connected, or a value out of bounds).
 */
export const guiBlockers = (json: Json, templates: NodeTemplates): Set<string> => {
  const keys = new Set<string>();
  const nodes = (json.nodes as Json[]).filter((n) => n.type === 'invocation');
  const edges = json.edges as Json[];
  if (!nodes.some((n) => !BATCH.has(n.data.type) && !GENERATOR.has(n.data.type))) keys.add('no-nodes');
  for (const n of nodes) if (BATCH.has(n.data.type) && !edges.some((e) => e.source === n.id)) keys.add(`batch:${n.id}`);
  for (const node of nodes) {
    const template = templates[node.data.type];
    if (template === undefined) {
      keys.add(`node:${node.id}`);
      continue;
    }
    for (const [name, field] of Object.entries(node.data.inputs as Record<string, Json>)) {
      const t = template.inputs[name];
      if (t === undefined) {
        if (!EXTRA_INPUTS.has(node.data.type) && !name.startsWith('saved_workflow_input::')) keys.add(`node:${node.id}`);
        continue;
      }
      const connected = edges.some((e) => e.target === node.id && e.targetHandle === name);
      if (t.required && !connected && field.value === undefined) keys.add(`field:${node.id}.${name}`);
      else if (!connected && field.value !== undefined && valueProblems(field.value, t).length > 0) keys.add(`field:${node.id}.${name}`);
    }
  }
  return keys;
};
