// Migration of every schema version to 4.0.0, as the GUI's `parseAndMigrateWorkflow` does, and
// normalisation of what real files contain to the shape of `WorkflowJson`: labels that are missing
// become '', `value: null` becomes absent, nodes without `nodePack` get the template's. Schema 1.0.0
// left `useCache` and `version` out of nodes: its schema defaults them to `true` and (on migration)
// `1.0.0`. 1.0.0 and 2.0.0 had no form. The input is an already structure-checked object that this
// module may share (the caller owns it); the output is a fresh object, ready to be frozen. The
// repairs the GUI makes after migrating (node updates, invalid edges, the form) are in `repair.ts`.

import type { DecodeIssue, LoadWarning } from './errors';
import { parseForm } from './form';
import type {
  FieldIdentifier,
  FieldInputInstance,
  InvocationNodeData,
  NodeTemplates,
  WorkflowEdge,
  WorkflowJson,
  WorkflowNode,
} from './types';
import { isRecord } from '../internal/record';

/** The schema versions this library reads. */
export const SUPPORTED_VERSIONS = ['1.0.0', '2.0.0', '3.0.0', '4.0.0'] as const;
/** The schema version this library writes. */
export const CURRENT_VERSION = '4.0.0';

/** Keys of the top level that the library interprets; every other key is carried along untouched. */
const KNOWN_TOP_LEVEL = /*#__PURE__*/ new Set([
  'name', 'author', 'description', 'version', 'contact', 'tags', 'notes', 'exposedFields', 'meta', 'id', 'form', 'nodes', 'edges',
]);

/** Keys of invocation `data` that the library interprets. */
const KNOWN_DATA = /*#__PURE__*/ new Set([
  'id', 'type', 'version', 'nodePack', 'label', 'notes', 'isOpen', 'isIntermediate', 'useCache', 'inputs', 'dynamicInputTemplates',
]);

/** Keys of 1.0.0 / 2.0.0 invocation data that schema 3.0.0 dropped (zod strips them). */
const LEGACY_DATA = /*#__PURE__*/ new Set(['outputs', 'embedWorkflow', 'width', 'height']);

type Rec = Readonly<Record<string, unknown>>;
const str = (u: unknown, fallback = ''): string => (typeof u === 'string' ? u : fallback);
const bool = (u: unknown, fallback: boolean): boolean => (typeof u === 'boolean' ? u : fallback);

/** What migrating one decoded workflow gave. */
export interface MigrationResult {
  readonly json?: WorkflowJson;
  readonly warnings: readonly LoadWarning[];
  readonly issues: readonly DecodeIssue[];
}

/** The v1 field type name of an input (`'integer'`, `'MainModelField'`) or the v2 one (`{name}`). */
const legacyTypeName = (input: Rec): string =>
  typeof input['type'] === 'string' ? input['type'] : isRecord(input['type']) ? str(input['type']['name']) : '';

/**
 * A model value of schema 1/2 (`{model_name, base_model}`) cannot name a model on today's server
 * (no `key`); the GUI resets models it cannot find, so the value is dropped with a warning.
 */
const isStaleModelValue = (typeName: string, value: unknown): boolean =>
  /model/i.test(typeName) && isRecord(value) && typeof value['key'] !== 'string' && 'model_name' in value;

const migrateInput = (
  key: string,
  raw: Rec,
  legacy: boolean,
  nodePath: string,
  warnings: LoadWarning[],
): FieldInputInstance => {
  let value = raw['value'];
  if (legacy && isStaleModelValue(legacyTypeName(raw), value)) {
    warnings.push({ code: 'stale-model-value', path: `${nodePath}.inputs.${key}.value`, message: 'a schema 1/2 model value cannot name a model any more; it was unset' });
    value = undefined;
  }
  const label = raw['label'];
  const description = raw['description'];
  // Literal objects (no spread): this runs for every input of every node on each load.
  return value === undefined || value === null
    ? { name: key, label: typeof label === 'string' ? label : '', description: typeof description === 'string' ? description : '' }
    : { name: key, label: typeof label === 'string' ? label : '', description: typeof description === 'string' ? description : '', value };
};

/** Nodes whose file left out a key its schema gives a default: the key and the nodes. */
type SchemaDefaults = Map<'useCache' | 'version', string[]>;

const migrateNode = (
  raw: Rec,
  index: number,
  version: string,
  templates: NodeTemplates,
  warnings: LoadWarning[],
  defaulted: SchemaDefaults,
): WorkflowNode => {
  const legacy = version === '1.0.0' || version === '2.0.0';
  const id = raw['id'] as string;
  const data = raw['data'] as Rec;
  const position = isRecord(raw['position']) ? (raw['position'] as { x: number; y: number }) : { x: 0, y: 0 };
  const path = `$.nodes[${index}].data`;
  if (raw['type'] === 'notes') {
    return {
      id,
      type: 'notes',
      data: { id: str(data['id'], id), type: 'notes', label: str(data['label']), isOpen: bool(data['isOpen'], true), notes: str(data['notes']) },
      position,
    };
  }
  if (raw['type'] === 'connector') {
    return {
      id,
      type: 'connector',
      data: { id: str(data['id'], id), type: 'connector', label: str(data['label'], 'Connector'), isOpen: bool(data['isOpen'], true) },
      position,
    };
  }
  const type = data['type'] as string;
  const template = templates[type];
  const rawInputs = data['inputs'] as Readonly<Record<string, Rec>>;
  const inputs: Record<string, FieldInputInstance> = {};
  for (const key of Object.keys(rawInputs)) {
    inputs[key] = migrateInput(key, rawInputs[key], legacy, path, warnings);
  }
  const nodePack = typeof data['nodePack'] === 'string' ? data['nodePack'] : legacy ? template?.nodePack ?? 'Unknown' : undefined;
  const extras: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    if (!KNOWN_DATA.has(key) && !(legacy && LEGACY_DATA.has(key))) extras[key] = data[key];
  }
  const note = (key: 'useCache' | 'version'): void => {
    defaulted.set(key, [...(defaulted.get(key) ?? []), id]);
  };
  if (legacy && typeof data['version'] !== 'string') note('version');
  // Schema 1.0.0 defaults `useCache` to true (`zInvocationNodeData` of `workflowV1.ts`), whatever
  // the node type's own default; later schemas require it, so only a hand-made file lacks it.
  const useCacheDefault = version === '1.0.0' ? true : template?.useCache ?? true;
  if (typeof data['useCache'] !== 'boolean' && version === '1.0.0') note('useCache');
  const out: InvocationNodeData = {
    id: str(data['id'], id),
    type,
    version: str(data['version'], legacy ? '1.0.0' : ''),
    ...(nodePack !== undefined ? { nodePack } : {}),
    label: str(data['label']),
    notes: str(data['notes']),
    isOpen: bool(data['isOpen'], true),
    isIntermediate: bool(data['isIntermediate'], type !== 'save_image'),
    useCache: bool(data['useCache'], useCacheDefault),
    inputs,
    ...(isRecord(data['dynamicInputTemplates']) ? { dynamicInputTemplates: data['dynamicInputTemplates'] } : {}),
    ...extras,
  };
  return { id, type: 'invocation', data: out, position };
};

const migrateEdge = (raw: Rec): WorkflowEdge => {
  const base = { id: raw['id'] as string, source: raw['source'] as string, target: raw['target'] as string };
  if (raw['type'] === 'collapsed') return { id: base.id, type: 'collapsed', source: base.source, target: base.target };
  return {
    id: base.id,
    type: 'default',
    source: base.source,
    sourceHandle: raw['sourceHandle'] as string,
    target: base.target,
    targetHandle: raw['targetHandle'] as string,
    ...(typeof raw['hidden'] === 'boolean' ? { hidden: raw['hidden'] } : {}),
  };
};

const SCHEMA_DEFAULT_VALUES = { useCache: 'true', version: '1.0.0' } as const;

/**
 * Migrates a structure-checked workflow of any supported version to 4.0.0. Duplicate node ids are
 * fatal (nodes are named by id everywhere); edges to missing nodes are left to the repairs.
 */
export const migrateWorkflow = (raw: Rec, templates: NodeTemplates): MigrationResult => {
  const warnings: LoadWarning[] = [];
  const issues: DecodeIssue[] = [];
  const meta = raw['meta'] as Rec;
  const version = meta['version'] as string;
  const legacy = version === '1.0.0' || version === '2.0.0';

  const defaulted: SchemaDefaults = new Map();
  const nodes = (raw['nodes'] as readonly Rec[]).map((n, i) => migrateNode(n, i, version, templates, warnings, defaulted));
  for (const [key, ids] of defaulted) {
    warnings.push({
      code: 'schema-default',
      path: '$.nodes',
      message: `${ids.length} node${ids.length === 1 ? '' : 's'} without "${key}" took ${SCHEMA_DEFAULT_VALUES[key]}, as InvokeAI's schema ${version} gives it: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? `, ... and ${ids.length - 10} more` : ''}`,
    });
  }
  const ids = new Map<string, number>();
  nodes.forEach((n, i) => {
    const first = ids.get(n.id);
    if (first !== undefined) issues.push({ path: `$.nodes[${i}].id`, message: `duplicate node id "${n.id}" (also $.nodes[${first}])` });
    else ids.set(n.id, i);
  });

  const edges = (raw['edges'] as readonly Rec[]).map(migrateEdge);

  const exposedFields = ((raw['exposedFields'] as readonly FieldIdentifier[] | undefined) ?? []).map((f) => ({
    nodeId: f.nodeId,
    fieldName: f.fieldName,
  }));
  // Schema 1/2 had no form; the GUI starts those from the default form (and the exposed fields).
  const form = parseForm(legacy ? undefined : raw['form']);
  warnings.push(...form.warnings);
  if (issues.length > 0) return { warnings, issues };

  const tags = Array.isArray(raw['tags']) ? raw['tags'].filter((x) => typeof x === 'string').join(', ') : str(raw['tags']);
  const extras: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) if (!KNOWN_TOP_LEVEL.has(key)) extras[key] = raw[key];
  const category = meta['category'] === 'default' ? 'default' : 'user';
  const json: WorkflowJson = {
    name: str(raw['name']),
    author: str(raw['author']),
    description: str(raw['description']),
    version: str(raw['version']),
    contact: str(raw['contact']),
    tags,
    notes: str(raw['notes']),
    exposedFields,
    meta: { version: CURRENT_VERSION, category },
    ...(typeof raw['id'] === 'string' ? { id: raw['id'] } : {}),
    form: form.form,
    ...extras,
    nodes,
    edges,
  };
  return { json, warnings, issues };
};
