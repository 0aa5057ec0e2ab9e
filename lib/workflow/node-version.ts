// Node versions as InvokeAI's workflow editor treats them. Every invocation node records the version
// of the node type it was made with (`data.version`); the server's template has the current one.
//
// The editor's rules (`features/nodes/util/node/nodeUpdate.ts` in InvokeAI's frontend):
// - a node needs an update when its version differs from the template's;
// - it may be updated only when its version lies within the template's major version (the semver
//   range `^<template major>`): within a major version a node type only gains inputs, so merging the
//   node into a fresh node of the template is safe; across a major version it is not, and the editor
//   refuses ("unable to update node": the user must replace the node);
// - updating builds a fresh node from the template, then fills into the old node whatever it lacks
//   (lodash `defaultsDeep`: missing keys, recursively, so missing inputs and unset values get the
//   fresh node's defaults), sets the template's version, and keeps only the inputs the template has.
// The editor updates every node it may update when it loads a workflow, without a word; a node it
// may not update stays as it is, and the inputs its template no longer has block the run.

import type { FieldTemplate, FieldInputInstance, InvocationNode, InvocationNodeData, NodeTemplate } from './types';
import { isRecord } from '../internal/record';

/** How a node's version stands against its template's. */
export type NodeVersionStatus =
  /** The node has the template's version. */
  | 'current'
  /** Same major version: the editor updates the node (on load, and with "update node"). */
  | 'updatable'
  /** The template is of a newer major version: the editor cannot update the node, and will not run it. */
  | 'outdated'
  /** The node is of a newer major version than the template (made with a newer InvokeAI than the server). */
  | 'ahead'
  /** The node's version is not a version (`1.0.0`); the editor cannot update it. */
  | 'unversioned';

// compare-versions' notion of a version, which the editor's `satisfies` uses: `1`, `1.2`, `1.2.3`,
// an optional `v`, pre-release and build suffixes.
const SEMVER = /^v?(0|[1-9]\d*)(?:\.(?:0|[1-9]\d*|[x*]))?(?:\.(?:0|[1-9]\d*|[x*]))?(?:-[\da-z-]+(?:\.[\da-z-]+)*)?(?:\+[\da-z-]+(?:\.[\da-z-]+)*)?$/i;

/** The major version of `1.2.3`, or `undefined` when the text is not a version. */
export const majorVersion = (version: string): number | undefined => {
  const m = SEMVER.exec(version);
  return m === null ? undefined : Number(m[1]);
};

/** Where a node's version stands against its template's (the editor's `getNeedsUpdate` and `getMayUpdateNode`). */
export const nodeVersionStatus = (data: InvocationNodeData, template: NodeTemplate): NodeVersionStatus => {
  if (data.version === template.version) return 'current';
  const node = majorVersion(data.version);
  const current = majorVersion(template.version);
  if (node === undefined || current === undefined) return 'unversioned';
  if (node === current) return 'updatable';
  return node < current ? 'outdated' : 'ahead';
};

// The editor's generator fields start from these values (`get*GeneratorArithmeticSequenceDefaults`,
// `getStringGeneratorParseStringDefaults`): the server's generator schemas are empty.
const GENERATOR_DEFAULTS: Readonly<Record<string, unknown>> = {
  FloatGeneratorField: { type: 'float_generator_arithmetic_sequence', start: 0, step: 0.1, count: 10 },
  IntegerGeneratorField: { type: 'integer_generator_arithmetic_sequence', start: 0, step: 1, count: 10 },
  StringGeneratorField: { type: 'string_generator_parse_string', input: 'foo,bar,baz,qux', splitOn: ',' },
};

/** Collections of these items start as `[]` when the field is required (the editor's collection templates). */
const LIST_DEFAULT_ITEMS: ReadonlySet<string> = /*#__PURE__*/ new Set(['image', 'string', 'integer', 'float']);

/**
 * The value the editor gives a field of a node it makes (`buildFieldInputTemplate` then
 * `buildFieldInputInstance`): the schema's default, else a fallback by field type. Connection-only
 * and unknown types get none.
 */
export const editorDefault = (field: FieldTemplate): unknown => {
  const own = field.default;
  switch (field.kind) {
    case 'integer':
    case 'float':
      return own ?? 0;
    case 'string':
      return own ?? '';
    case 'boolean':
      return own ?? false;
    case 'enum':
      return own ?? (field.typeName === 'SchedulerField' ? 'dpmpp_3m_k' : field.constraints.options?.[0]);
    case 'color':
      return own ?? { r: 127, g: 127, b: 127, a: 255 };
    case 'collection':
      // Lists of images, strings and numbers have list templates; a list of another value type is
      // built by its item type's builder (whose fallback it gets); anything else takes no value.
      if (field.itemKind !== undefined && LIST_DEFAULT_ITEMS.has(field.itemKind)) return own ?? (field.required ? [] : undefined);
      if (field.itemKind === 'boolean') return own ?? false;
      if (field.itemKind === 'enum') return own ?? field.constraints.options?.[0];
      if (field.itemKind === 'color') return own ?? { r: 127, g: 127, b: 127, a: 255 };
      if (field.itemKind === 'model' || field.itemKind === 'board' || field.itemKind === 'video') return own;
      return field.typeName === 'LoRAField' ? own ?? [] : undefined;
    case 'object':
      return own ?? GENERATOR_DEFAULTS[field.typeName] ?? (field.typeName === 'LoRAField' ? [] : undefined);
    case 'image':
    case 'video':
    case 'board':
    case 'model':
      return own;
    case 'connection':
    case 'unknown':
      return undefined;
  }
};

/** A JSON copy of a default, so that no two nodes share (and freeze) one value. */
const copy = (u: unknown): unknown =>
  Array.isArray(u) ? u.map(copy) : isRecord(u) ? Object.fromEntries(Object.entries(u).map(([k, v]) => [k, copy(v)])) : u;

/**
 * lodash's `defaultsDeep` for one value: what `target` lacks is taken from `source`, recursively
 * through objects and arrays (index by index); a value `target` has (even `null`) is kept.
 */
const fillDefaults = (target: unknown, source: unknown): unknown => {
  if (target === undefined) return copy(source);
  if (typeof target !== 'object' || target === null || typeof source !== 'object' || source === null) return target;
  const out: Record<string, unknown> | unknown[] = Array.isArray(target) ? target.slice() : { ...(target as Record<string, unknown>) };
  for (const key of Object.keys(source)) {
    const filled = fillDefaults((target as Record<string, unknown>)[key], (source as Record<string, unknown>)[key]);
    (out as Record<string, unknown>)[key] = filled;
  }
  return out;
};

/**
 * The prefix of `call_saved_workflow` inputs made from the called workflow's form: they are the
 * node's own, not the template's, and the graph folds them into its `workflow_inputs`.
 */
export const SAVED_WORKFLOW_INPUT_PREFIX = 'saved_workflow_input::';

/** Only these nodes take inputs their template does not declare (the GUI's `NODES_ACCEPTING_EXTRA_INPUTS`). */
export const NODES_ACCEPTING_EXTRA_INPUTS: ReadonlySet<string> = /*#__PURE__*/ new Set(['core_metadata']);

/** Inputs the node keeps whatever its template says: the dynamic inputs of a `call_saved_workflow` node. */
export const isDynamicInput = (data: InvocationNodeData, name: string): boolean =>
  name.startsWith(SAVED_WORKFLOW_INPUT_PREFIX) || (data.dynamicInputTemplates !== undefined && Object.prototype.hasOwnProperty.call(data.dynamicInputTemplates, name));

/** What updating one node changed. */
export interface NodeUpdateChange {
  readonly nodeId: string;
  readonly nodeType: string;
  readonly from: string;
  readonly to: string;
  /** Inputs the template no longer has: removed with their values. */
  readonly removedInputs: readonly string[];
  /** Inputs the node did not have, or had no value for, now holding the template's default. */
  readonly defaultedInputs: readonly string[];
}

/**
 * The editor's `updateNode`: the node merged into a fresh node of the template, at the template's
 * version, with only the template's inputs. `connected` names the node's inputs fed by an edge (an
 * `image_collection` node older than 1.0.2 moves its `collection` value to `images` unless connected).
 * The caller checks that the node may be updated (`nodeVersionStatus`).
 */
export const updateNodeData = (
  node: InvocationNode,
  template: NodeTemplate,
  connected: ReadonlySet<string>,
): { readonly node: InvocationNode; readonly change: NodeUpdateChange } => {
  const { data } = node;
  const inputs: Record<string, FieldInputInstance> = {};
  const defaulted: string[] = [];
  for (const field of Object.values(template.inputs)) {
    const own = data.inputs[field.name];
    const fallback = editorDefault(field);
    const value = fillDefaults(own?.value, fallback);
    if (own?.value === undefined && value !== undefined) defaulted.push(field.name);
    const instance: FieldInputInstance = own === undefined ? { name: field.name, label: '', description: '' } : own;
    inputs[field.name] = value === undefined ? instance : { ...instance, value };
  }
  const removed: string[] = [];
  for (const name of Object.keys(data.inputs)) {
    if (name in inputs) continue;
    if (isDynamicInput(data, name)) inputs[name] = data.inputs[name]!;
    else removed.push(name);
  }
  moveImageCollectionValues(data.type, data.version, inputs, connected);
  const next: InvocationNodeData = {
    ...data,
    version: template.version,
    ...(data.nodePack === undefined ? { nodePack: template.nodePack } : {}),
    inputs,
  };
  return {
    node: { ...node, data: next },
    change: { nodeId: node.id, nodeType: data.type, from: data.version, to: template.version, removedInputs: removed, defaultedInputs: defaulted },
  };
};

/**
 * `image_collection` before 1.0.2 held its images in `collection`, which is now connection-only; the
 * editor moves them to `images` (`migrateImageCollectionInputValues`) unless `images` has some or an
 * edge feeds `collection`.
 */
const moveImageCollectionValues = (
  type: string,
  fromVersion: string,
  inputs: Record<string, FieldInputInstance>,
  connected: ReadonlySet<string>,
): void => {
  if (type !== 'image_collection' || !isBefore(fromVersion, [1, 0, 2])) return;
  const collection = inputs['collection'];
  const images = inputs['images'];
  if (collection === undefined || images === undefined || !Array.isArray(collection.value)) return;
  if (Array.isArray(images.value) && images.value.length > 0) return;
  if (connected.has('collection')) return;
  inputs['images'] = { ...images, value: collection.value };
  inputs['collection'] = { ...collection, value: [] };
};

/** `version` < `than`, for plain `x.y.z` versions (anything else counts as older, as it cannot be newer). */
const isBefore = (version: string, than: readonly [number, number, number]): boolean => {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const p = parts[i] ?? 0;
    if (!Number.isFinite(p)) return true;
    if (p !== than[i]) return p < than[i]!;
  }
  return false;
};

/**
 * The editor's `getUpdatedFieldName`: a form field naming `image_collection.collection` names
 * `images` once the node has that input (its values moved there).
 */
export const updatedFieldName = (data: InvocationNodeData, fieldName: string): string =>
  data.type === 'image_collection' && fieldName === 'collection' && data.inputs['images'] !== undefined ? 'images' : fieldName;

/**
 * What a user of the editor does with a node it cannot update (a newer major version of its type):
 * delete it and add a fresh node of the type in its place. The fresh node keeps the old one's id,
 * position, label, notes and flags, and of its inputs those the type still has, with their label,
 * and their value when `fits(field, value)` says the field still takes it; every other input starts
 * from the editor's default.
 */
export const replaceNodeData = (
  node: InvocationNode,
  template: NodeTemplate,
  fits: (field: FieldTemplate, value: unknown) => boolean,
): { readonly node: InvocationNode; readonly change: NodeUpdateChange; readonly resetInputs: readonly string[] } => {
  const { data } = node;
  const inputs: Record<string, FieldInputInstance> = {};
  const defaulted: string[] = [];
  const reset: string[] = [];
  for (const field of Object.values(template.inputs)) {
    const own = data.inputs[field.name];
    const keep = own?.value !== undefined && fits(field, own.value);
    if (own?.value !== undefined && !keep) reset.push(field.name);
    const value = keep ? own!.value : copy(editorDefault(field));
    if (!keep && value !== undefined) defaulted.push(field.name);
    const instance: FieldInputInstance = { name: field.name, label: own?.label ?? '', description: own?.description ?? '' };
    inputs[field.name] = value === undefined ? instance : { ...instance, value };
  }
  const removed: string[] = [];
  for (const name of Object.keys(data.inputs)) {
    if (name in inputs) continue;
    if (isDynamicInput(data, name)) inputs[name] = data.inputs[name]!;
    else removed.push(name);
  }
  const next: InvocationNodeData = { ...data, version: template.version, nodePack: template.nodePack, inputs };
  return {
    node: { ...node, data: next },
    change: { nodeId: node.id, nodeType: data.type, from: data.version, to: template.version, removedInputs: removed, defaultedInputs: defaulted },
    resetInputs: reset,
  };
};
