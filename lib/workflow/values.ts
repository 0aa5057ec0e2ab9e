// Checking a value against what an input's template accepts, with the normalisations the GUI
// applies (a bare image name becomes `{image_name}`, a board id becomes `{board_id}`), and a model
// given by name or key kept as a reference that a run resolves against the server's models.

import * as E from 'fp-ts/Either';
import type { InputIssue } from './errors';
import type { FieldConstraints, FieldKind, FieldTemplate, WorkflowInput } from './types';
import { isRecord } from '../internal/record';

/** A field that only an edge can feed (latents, conditioning, UNet...): it takes no value at all. */
export const connectionOnly = (template: FieldTemplate | undefined): boolean => template?.input === 'connection' || template?.kind === 'connection';

const show = (u: unknown): string => {
  if (u === undefined) return 'undefined';
  const s = typeof u === 'number' && !Number.isFinite(u) ? String(u) : JSON.stringify(u) ?? String(u);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/** A rule a value broke, to be phrased into an `InputIssue` by the caller. */
type Broken = { readonly code: 'wrong-kind' | 'constraint'; readonly rule: string };
const wrongKind = (rule: string): Broken => ({ code: 'wrong-kind', rule });
const constraint = (rule: string): Broken => ({ code: 'constraint', rule });

const numberRules = (n: number, c: FieldConstraints): Broken | undefined => {
  if (c.minimum !== undefined && n < c.minimum) return constraint(`must be >= ${c.minimum}`);
  if (c.maximum !== undefined && n > c.maximum) return constraint(`must be <= ${c.maximum}`);
  if (c.exclusiveMinimum !== undefined && n <= c.exclusiveMinimum) return constraint(`must be > ${c.exclusiveMinimum}`);
  if (c.exclusiveMaximum !== undefined && n >= c.exclusiveMaximum) return constraint(`must be < ${c.exclusiveMaximum}`);
  if (c.multipleOf !== undefined && c.multipleOf !== 0) {
    const q = n / c.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9) return constraint(`must be a multiple of ${c.multipleOf}`);
  }
  return undefined;
};

const lengthRules = (len: number, min: number | undefined, max: number | undefined, what: string): Broken | undefined => {
  if (min !== undefined && len < min) return constraint(`must have at least ${min} ${what}`);
  if (max !== undefined && len > max) return constraint(`must have at most ${max} ${what}`);
  return undefined;
};

const MODEL_KEYS = ['key', 'hash', 'name', 'base', 'type'] as const;

/** The value a model input holds when set by name or key: resolved when a run (or `syncModels`) has the server's model list. */
export const modelReference = (nameOrKey: string): { readonly key: ''; readonly hash: ''; readonly name: string; readonly base: ''; readonly type: '' } => ({
  key: '',
  hash: '',
  name: nameOrKey,
  base: '',
  type: '',
});

/** Whether a model value is a reference by name or key that no model list has resolved yet (an identifier with no key). */
export const isModelReference = (value: unknown): value is { readonly key: ''; readonly name: string } =>
  isRecord(value) && value['key'] === '' && typeof value['name'] === 'string' && value['name'] !== '';

/** Checks one (non-collection) value of `kind`; returns the normalised value or the broken rule. */
const checkSingle = (kind: FieldKind, v: unknown, c: FieldConstraints): E.Either<Broken, unknown> => {
  switch (kind) {
    case 'string': {
      if (typeof v !== 'string') return E.left(wrongKind('must be a string'));
      const broken = lengthRules(v.length, c.minLength, c.maxLength, 'characters');
      return broken ? E.left(broken) : E.right(v);
    }
    case 'integer': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return E.left(wrongKind('must be an integer'));
      const broken = numberRules(v, c);
      return broken ? E.left(broken) : E.right(v);
    }
    case 'float': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return E.left(wrongKind('must be a finite number'));
      const broken = numberRules(v, c);
      return broken ? E.left(broken) : E.right(v);
    }
    case 'boolean':
      return typeof v === 'boolean' ? E.right(v) : E.left(wrongKind('must be true or false'));
    case 'enum':
      if (typeof v !== 'string' && typeof v !== 'number') return E.left(wrongKind('must be one of the options'));
      return c.options === undefined || c.options.length === 0 || c.options.includes(v)
        ? E.right(v)
        : E.left(constraint(`must be one of ${c.options.map((o) => JSON.stringify(o)).join(', ')}`));
    case 'image':
      if (typeof v === 'string' && v.length > 0) return E.right({ image_name: v });
      return isRecord(v) && typeof v['image_name'] === 'string' && v['image_name'].length > 0
        ? E.right(v)
        : E.left(wrongKind('must be an image name or {image_name}'));
    case 'video':
      if (typeof v === 'string' && v.length > 0) return E.right({ video_name: v });
      return isRecord(v) && typeof v['video_name'] === 'string' && v['video_name'].length > 0
        ? E.right(v)
        : E.left(wrongKind('must be a video name or {video_name}'));
    case 'board':
      if (v === 'auto' || v === 'none') return E.right(v);
      if (typeof v === 'string' && v.length > 0) return E.right({ board_id: v });
      return isRecord(v) && typeof v['board_id'] === 'string' && v['board_id'].length > 0
        ? E.right(v)
        : E.left(wrongKind("must be 'auto', 'none', a board id or {board_id}"));
    case 'model': {
      // A name or key: kept as a reference until a run (or syncModels) has the server's list.
      if (typeof v === 'string') return v.length > 0 ? E.right(modelReference(v)) : E.left(wrongKind('must be a model identifier {key, hash, name, base, type}, or the name or key of a model'));
      if (isModelReference(v)) return E.right(modelReference(v.name));
      if (!isRecord(v) || MODEL_KEYS.some((k) => typeof v[k] !== 'string' && !(k === 'hash' && v[k] === undefined))) {
        return E.left(wrongKind('must be a model identifier {key, hash, name, base, type}, or the name or key of a model'));
      }
      if (c.modelBase && c.modelBase.length > 0 && !c.modelBase.includes(v['base'] as string)) {
        return E.left(constraint(`must be a model of base ${c.modelBase.join(' or ')}`));
      }
      if (c.modelType && c.modelType.length > 0 && !c.modelType.includes(v['type'] as string)) {
        return E.left(constraint(`must be a model of type ${c.modelType.join(' or ')}`));
      }
      // A model config from `models(client).list()` carries much more, and may lack a hash: keep the identifier.
      const extra = Object.keys(v).some((k) => !(MODEL_KEYS as readonly string[]).includes(k) && k !== 'submodel_type');
      if (!extra && typeof v['hash'] === 'string') return E.right(v);
      const { key, hash, name, base, type, submodel_type } = v as Record<string, unknown>;
      return E.right({ key, hash: hash ?? '', name, base, type, ...(typeof submodel_type === 'string' ? { submodel_type } : {}) });
    }
    case 'color': {
      const ok =
        isRecord(v) &&
        (['r', 'g', 'b', 'a'] as const).every((k) => Number.isInteger(v[k]) && (v[k] as number) >= 0 && (v[k] as number) <= 255);
      return ok ? E.right(v) : E.left(wrongKind('must be a color {r, g, b, a} of integers 0-255'));
    }
    case 'object':
      return isRecord(v) ? E.right(v) : E.left(wrongKind('must be an object'));
    case 'connection':
      return E.left(wrongKind('is connection-only: it takes its value from an edge, never a direct value'));
    case 'collection':
      // A collection of collections: nothing more to check about each item here.
      return Array.isArray(v) ? E.right(v) : E.left(wrongKind('must be a list'));
    case 'unknown':
      return E.right(v);
  }
};

const checkList = (items: readonly unknown[], itemKind: FieldKind | undefined, c: FieldConstraints): E.Either<Broken, unknown> => {
  const broken = lengthRules(items.length, c.minItems, c.maxItems, 'items');
  if (broken) return E.left(broken);
  if (itemKind === undefined) return E.right(items);
  // Item bounds apply to each number of the list (pydantic puts them on the items).
  const out: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    const r = checkSingle(itemKind, items[i], { ...c, minItems: undefined, maxItems: undefined });
    if (E.isLeft(r)) return E.left({ code: r.left.code, rule: `item ${i} ${r.left.rule}` });
    out.push(r.right);
  }
  return E.right(out);
};

const isPrimitiveKind = (k: FieldKind): boolean => k === 'string' || k === 'integer' || k === 'float' || k === 'boolean' || k === 'enum';

/**
 * Checks a value for an input and returns it normalised; `undefined`/`null` unset the value,
 * which only inputs that may be empty allow. Messages name a form input by index and label, any
 * other node input (index -1) as `nodeLabel.fieldName`.
 */
export const checkValue = (input: WorkflowInput, value: unknown): E.Either<InputIssue, unknown> => {
  const ref = `${input.nodeId}.${input.fieldName}`;
  const issue = (b: Broken): InputIssue => ({
    code: b.code,
    ref,
    message: `Input ${input.index >= 0 ? `#${input.index} "${input.label}"` : `"${input.nodeLabel}.${input.fieldName}"`} (${ref}, ${input.kind}${input.itemKind ? ` of ${input.itemKind}` : ''}) cannot take ${show(value)}: it ${b.rule}.`,
  });
  if (value === undefined || value === null) {
    const mayBeEmpty = input.kind === 'unknown' || !isPrimitiveKind(input.kind) || input.template?.nullable === true;
    return mayBeEmpty ? E.right(undefined) : E.left(issue(wrongKind('needs a value (it cannot be unset)')));
  }
  const result =
    input.kind === 'collection'
      ? Array.isArray(value)
        ? checkList(value, input.itemKind, input.constraints)
        : E.left(wrongKind(`must be a list${input.itemKind ? ` of ${input.itemKind}` : ''}`))
      : input.itemKind !== undefined && Array.isArray(value)
        ? checkList(value, input.itemKind, input.constraints)
        : checkSingle(input.kind, value, input.constraints);
  return E.isLeft(result) ? E.left(issue(result.left)) : E.right(result.right);
};
