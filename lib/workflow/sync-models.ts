// Model sync: point a workflow's model inputs at the models a server has installed. Pure: it takes
// the model list, never fetches, never mutates, never throws for one model it cannot match.
//
// Every model field of every invocation node is considered, not only the form's inputs: a workflow
// from another machine carries that machine's model keys in hidden fields too (a second loader, a
// ControlNet), and the server rejects the run on any of them.
import * as E from 'fp-ts/Either';
import { connectedInputs, fieldKey, nodeDisplayLabel, withInputValues } from './inputs';
import { makeWorkflow, workflowWarnings } from './workflow';
import type { FieldConstraints, InvocationNode, WorkflowJson } from './types';
import type { Workflow } from './workflow';
import { isRecord } from '../internal/record';
import { isModelReference } from './values';

/** The fields of an installed model the matcher reads (a server's model config fits). */
export interface ModelRecord {
  readonly key: string;
  readonly hash?: string;
  readonly name: string;
  readonly base: string;
  readonly type: string;
  readonly format?: string;
}

/** The model a workflow's model field holds (`ModelIdentifierField`). */
export interface ModelValue {
  readonly key: string;
  readonly hash: string;
  readonly name: string;
  readonly base: string;
  readonly type: string;
  readonly submodel_type?: string;
}

/** How a model was matched (`key`: a model input set by key with `setInput`). */
export type ModelMatch = 'hash' | 'name' | 'base' | 'key';

/** Options of `syncModels`. */
export interface SyncModelsOptions {
  /** Match an identical file (same hash). Default `true`. */
  readonly byHash?: boolean;
  /** Match the same name among models of the same type. Default `true`. */
  readonly byName?: boolean;
  /**
   * Fall back to any model of a base the field accepts: the same type first, then the base of the
   * workflow's main model(s), then the field's own order of bases. Default `false`: a guess must be asked for.
   */
  readonly byBase?: boolean;
  /**
   * Default `true`: only fields without a usable model are matched (no value, or a model whose key
   * is not installed); a field that already names an installed model stays as it is, whoever set it.
   * `false`: every model field is matched again, by the order above.
   */
  readonly onlyUnset?: boolean;
}

/** Which model field: `ref` is `nodeId.fieldName` (an `InputRef` when the field is one of the form's inputs). */
export interface ModelFieldRef {
  readonly ref: string;
  readonly nodeId: string;
  readonly fieldName: string;
  /** `nodeLabel.fieldName` as the GUI shows them. */
  readonly label: string;
}

/** A field whose model was replaced. */
export interface ModelChange extends ModelFieldRef {
  /** The previous value; `null` when the field was unset. */
  readonly from: ModelValue | null;
  readonly to: ModelValue;
  readonly by: ModelMatch;
}

/** A field the matcher could not resolve; the workflow keeps its value. */
export interface UnresolvedModel extends ModelFieldRef {
  /** What the field asks for: its current value's name, hash, base and type, or the template's constraints when unset. */
  readonly wanted: { readonly name?: string; readonly hash?: string; readonly key?: string; readonly base?: ReadonlyArray<string>; readonly type?: ReadonlyArray<string> };
  /** Why nothing matched, and what to do. */
  readonly reason: string;
}

/** The outcome of a model sync: the new workflow, what changed, what could not be matched. */
export interface ModelSync {
  readonly workflow: Workflow;
  readonly changes: ReadonlyArray<ModelChange>;
  readonly unresolved: ReadonlyArray<UnresolvedModel>;
}


const asModelValue = (v: unknown): ModelValue | null => {
  if (!isRecord(v) || typeof v['key'] !== 'string' || typeof v['name'] !== 'string') return null;
  const text = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  return {
    key: v['key'],
    hash: text('hash'),
    name: v['name'],
    base: text('base'),
    type: text('type'),
    ...(typeof v['submodel_type'] === 'string' ? { submodel_type: v['submodel_type'] } : {}),
  };
};

/** The model fits a model field's constraints (base, type, and format when the model says it). */
export const accepts = (c: FieldConstraints, m: ModelRecord): boolean =>
  (!c.modelBase || c.modelBase.length === 0 || c.modelBase.includes(m.base)) &&
  (!c.modelType || c.modelType.length === 0 || c.modelType.includes(m.type)) &&
  (!c.modelFormat || c.modelFormat.length === 0 || m.format === undefined || c.modelFormat.includes(m.format));

const describeModel = (m: ModelRecord): string => `${m.name} (${m.base} ${m.type}, key ${m.key})`;

/**
 * The one installed model that `text` names, by key or by name, among those the field accepts; or
 * why there is none (nothing named so, or several of that name: give the key).
 */
export const findModel = (models: ReadonlyArray<ModelRecord>, text: string, constraints: FieldConstraints): E.Either<string, ModelRecord> => {
  const fitting = models.filter((m) => accepts(constraints, m));
  const byKey = fitting.filter((m) => m.key === text);
  if (byKey.length === 1) return E.right(byKey[0]!);
  const byName = fitting.filter((m) => m.name === text);
  if (byName.length === 1) return E.right(byName[0]!);
  if (byName.length > 1) {
    return E.left(`${byName.length} installed models that fit are named "${text}"; give one's key instead:\n${byName.map((m) => `  ${describeModel(m)}`).join('\n')}`);
  }
  const elsewhere = models.filter((m) => m.key === text || m.name === text);
  const fitList = fitting.length > 0 ? `Models that fit:\n${fitting.map((m) => `  ${describeModel(m)}`).join('\n')}` : 'No installed model fits it.';
  return E.left(
    elsewhere.length > 0
      ? `"${text}" is ${describeModel(elsewhere[0]!)}, which this input does not take. ${fitList}`
      : `the server has no model named or keyed "${text}". ${fitList}`,
  );
};

// A stable order that does not depend on the server's list order or the runtime's locale.
const byNameThenKey = (a: ModelRecord, b: ModelRecord): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

/**
 * The order of a by-base guess: the wanted type first, then the base of the workflow's main
 * model(s), then the field's own order of bases, then name and key (already the list's order).
 */
const byPreference =
  (types: ReadonlyArray<string>, preferredBases: ReadonlyArray<string>, fieldBases: ReadonlyArray<string>) =>
  (a: ModelRecord, b: ModelRecord): number => {
    const rank = (list: ReadonlyArray<string>, v: string): number => {
      const i = list.indexOf(v);
      return i < 0 ? list.length : i;
    };
    return (
      Number(!types.includes(a.type)) - Number(!types.includes(b.type)) ||
      rank(preferredBases, a.base) - rank(preferredBases, b.base) ||
      rank(fieldBases, a.base) - rank(fieldBases, b.base) ||
      byNameThenKey(a, b)
    );
  };

interface Field extends ModelFieldRef {
  readonly nodeIndex: number;
  readonly value: ModelValue | null;
  readonly constraints: FieldConstraints;
  readonly required: boolean;
}

/** A field that takes a main model (a loader's `model`): its base is the workflow's base. */
const isMainModelField = (field: Field): boolean => field.constraints.modelType?.includes('main') ?? false;

const modelFields = (wf: Workflow): ReadonlyArray<Field> => {
  const connected = connectedInputs(wf.json.edges);
  const fields: Field[] = [];
  wf.json.nodes.forEach((node, nodeIndex) => {
    if (node.type !== 'invocation') return;
    const template = wf.templates[node.data.type];
    if (template === undefined) return;
    for (const fieldTemplate of Object.values(template.inputs)) {
      if (fieldTemplate.kind !== 'model') continue;
      // A field fed by an edge takes the upstream model; a value here would never reach the server.
      if (connected.has(fieldKey(node.id, fieldTemplate.name))) continue;
      fields.push({
        ref: `${node.id}.${fieldTemplate.name}`,
        nodeId: node.id,
        fieldName: fieldTemplate.name,
        label: `${nodeDisplayLabel(node as InvocationNode, wf.templates)}.${node.data.inputs[fieldTemplate.name]?.label || fieldTemplate.title}`,
        nodeIndex,
        value: asModelValue(node.data.inputs[fieldTemplate.name]?.value),
        constraints: fieldTemplate.constraints,
        required: fieldTemplate.required,
      });
    }
  });
  return fields;
};

const toValue = (m: ModelRecord, previous: ModelValue | null): ModelValue => ({
  key: m.key,
  hash: m.hash ?? '',
  name: m.name,
  base: m.base,
  type: m.type,
  // A loader's submodel choice belongs to the field, not to the model.
  ...(previous?.submodel_type !== undefined ? { submodel_type: previous.submodel_type } : {}),
});

/** The identifier a model field stores for an installed model. */
export const toModelValue = (m: ModelRecord): ModelValue => toValue(m, null);

const sameValue = (a: ModelValue | null, b: ModelValue): boolean =>
  a !== null && a.key === b.key && a.hash === b.hash && a.name === b.name && a.base === b.base && a.type === b.type;

/**
 * Points the workflow's model fields at installed models: by hash, then by name (same type), then,
 * when asked, by base (same type first, then the base of the workflow's main models, then the
 * field's order of bases, then by name). Returns the new workflow, the changes and
 * the fields it could not match; the given workflow is never changed, and nothing throws for an
 * unmatched model. Fields fed by an edge are skipped; unset fields that the node does not require
 * are left unset.
 *
 * @example
 * import { syncModels, models } from 'invokeai-rx';
 * const { workflow, changes, unresolved } = syncModels(wf, await models(client).list(), { byBase: true });
 * for (const u of unresolved) console.warn(`${u.label}: ${u.reason}`);
 */
export const syncModels = (wf: Workflow, models: ReadonlyArray<ModelRecord>, options: SyncModelsOptions = {}): ModelSync => {
  const byHash = options.byHash ?? true;
  const byName = options.byName ?? true;
  const byBase = options.byBase ?? false;
  const onlyUnset = options.onlyUnset ?? true;
  const installedKeys = new Set(models.map((m) => m.key));
  const sorted = [...models].sort(byNameThenKey);

  const changes: ModelChange[] = [];
  const unresolved: UnresolvedModel[] = [];
  const edits = new Map<number, Array<{ fieldName: string; value: ModelValue }>>();

  type Outcome =
    | { readonly kind: 'skip' }
    | { readonly kind: 'keep'; readonly base: string }
    | { readonly kind: 'match'; readonly model: ModelRecord; readonly by: ModelMatch }
    | { readonly kind: 'unresolved'; readonly entry: UnresolvedModel };

  const resolve = (field: Field, preferredBases: ReadonlyArray<string>): Outcome => {
    const { nodeIndex: _n, value: current, constraints, required: _r, ...ref } = field;
    if (current === null && !field.required) return { kind: 'skip' };
    if (onlyUnset && current !== null && installedKeys.has(current.key)) return { kind: 'keep', base: current.base };
    // Set by name or key (setInput('Model', 'juggernautXL_v9')): that model, whatever the strategies.
    if (current !== null && isModelReference(current)) {
      const found = findModel(models, current.name, constraints);
      if (E.isRight(found)) return { kind: 'match', model: found.right, by: found.right.key === current.name ? 'key' : 'name' };
      return { kind: 'unresolved', entry: { ...ref, wanted: { name: current.name }, reason: found.left } };
    }

    const candidates = sorted.filter((m) => accepts(constraints, m));
    const tried: string[] = [];
    if (current !== null && byHash && current.hash !== '') {
      tried.push(`hash ${current.hash}`);
      const m = candidates.find((c) => c.hash === current.hash);
      if (m) return { kind: 'match', model: m, by: 'hash' };
    }
    if (current !== null && byName) {
      tried.push(`name "${current.name}" of type ${current.type || '(any)'}`);
      const named = candidates.filter((c) => c.name === current.name && (current.type === '' || c.type === current.type));
      const m = named.find((c) => c.base === current.base) ?? named[0];
      if (m) return { kind: 'match', model: m, by: 'name' };
    }
    const bases = current !== null && current.base !== '' ? [current.base] : constraints.modelBase ?? [];
    if (byBase) {
      const types = current !== null && current.type !== '' ? [current.type] : constraints.modelType ?? [];
      tried.push(`base ${bases.length > 0 ? bases.join('/') : '(any)'}`);
      const sameBase = candidates.filter((c) => bases.length === 0 || bases.includes(c.base));
      const m = sameBase.sort(byPreference(types, preferredBases, bases))[0];
      if (m) return { kind: 'match', model: m, by: 'base' };
    }

    const wanted =
      current !== null
        ? {
            key: current.key,
            name: current.name,
            ...(current.hash !== '' ? { hash: current.hash } : {}),
            ...(current.base !== '' ? { base: [current.base] } : {}),
            ...(current.type !== '' ? { type: [current.type] } : {}),
          }
        : { ...(constraints.modelBase ? { base: constraints.modelBase } : {}), ...(constraints.modelType ? { type: constraints.modelType } : {}) };
    const hint = byBase ? 'install it, or choose one with setInput' : 'install it, choose one with setInput, or sync with { byBase: true }';
    const reason =
      tried.length > 0
        ? `no installed model matches by ${tried.join(', or ')}; ${hint}`
        : current === null
          ? 'the field is unset and byBase is off; set it, or sync with { byBase: true }'
          : 'every strategy (byHash, byName, byBase) is turned off';
    return { kind: 'unresolved', entry: { ...ref, wanted, reason } };
  };

  // Main models first: their bases (chosen now or already set) steer the guess for every other
  // field, so that an SDXL workflow gets an SDXL VAE from a field that accepts any base.
  const fields = modelFields(wf);
  const outcomes = new Map<Field, Outcome>();
  const mainBases: string[] = [];
  for (const field of fields.filter(isMainModelField)) {
    const outcome = resolve(field, []);
    outcomes.set(field, outcome);
    const base =
      outcome.kind === 'match' ? outcome.model.base : outcome.kind === 'keep' ? outcome.base : outcome.kind === 'unresolved' ? field.value?.base ?? '' : '';
    if (base !== '' && !mainBases.includes(base)) mainBases.push(base);
  }

  for (const field of fields) {
    const outcome = outcomes.get(field) ?? resolve(field, mainBases);
    if (outcome.kind === 'match') {
      const { nodeIndex: _n, value: current, constraints: _c, required: _r, ...ref } = field;
      const to = toValue(outcome.model, current);
      if (sameValue(current, to)) continue;
      changes.push({ ...ref, from: current, to, by: outcome.by });
      edits.set(field.nodeIndex, [...(edits.get(field.nodeIndex) ?? []), { fieldName: field.fieldName, value: to }]);
    } else if (outcome.kind === 'unresolved') unresolved.push(outcome.entry);
  }

  if (edits.size === 0) return { workflow: wf, changes, unresolved };
  const nodes = wf.json.nodes.slice();
  for (const [nodeIndex, fieldEdits] of edits) {
    nodes[nodeIndex] = withInputValues(nodes[nodeIndex] as InvocationNode, fieldEdits);
  }
  const json: WorkflowJson = { ...wf.json, nodes };
  return { workflow: makeWorkflow(json, wf.templates, workflowWarnings(wf)), changes, unresolved };
};
