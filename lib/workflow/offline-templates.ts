// InvokeAI's own node templates, offline: a compact snapshot of the templates its OpenAPI document
// gives (templates.ts), made by spec/tools/generate-templates.ts, unpacked when first imported. They
// are what a workflow is typed with when its loader is given no templates, except in a browser
// bundle (see default-templates.ts); the entry `invokeai-rx/templates` exports them.
// The snapshot: descriptions dropped, defaults left out, short keys.

import type { FieldConstraints, FieldKind, FieldTemplate, InputMode, NodeTemplate, NodeTemplates, OutputFieldTemplate } from './types';
import snapshot from './templates-snapshot.json';
import { deepFreeze } from '../internal/record';
import { titleFromName } from './templates';

const MODES: Readonly<Record<InputMode, string>> = { connection: 'c', direct: 'd', any: 'a' };
const MODES_BACK: Readonly<Record<string, InputMode>> = { c: 'connection', d: 'direct', a: 'any' };

/** A field in the snapshot: short keys, absent means the common default. */
interface CompactField {
  t?: string; // title, when not titleFromName(name)
  k: FieldKind;
  i?: FieldKind; // itemKind
  n: string; // typeName
  m: string; // input mode c/d/a
  f?: 1; // internal
  r?: 1; // required
  u?: 1; // nullable
  d?: unknown; // default
  c?: FieldConstraints;
  ut?: string;
  uh?: 1;
  uo?: number;
}

interface CompactOutput {
  k: FieldKind;
  i?: FieldKind;
  n: string;
}

/** One node in the snapshot: [title, version, nodePack, category, classification, useCache, outputType, inputs, outputs]. */
type CompactNode = [string, string, string, string, string, 0 | 1, string, Record<string, CompactField>, Record<string, CompactOutput>];

/** The snapshot file's shape. */
export interface TemplatesSnapshot {
  readonly format: 1;
  readonly source: string;
  readonly nodes: Readonly<Record<string, CompactNode>>;
}

/** Packs templates for the snapshot (descriptions are dropped to keep the bundle small). */
export const compactTemplates = (templates: NodeTemplates, source: string): TemplatesSnapshot => {
  const nodes: Record<string, CompactNode> = {};
  for (const t of Object.values(templates)) {
    const inputs: Record<string, CompactField> = {};
    for (const f of Object.values(t.inputs)) {
      const cf: CompactField = { k: f.kind, n: f.typeName, m: MODES[f.input] };
      if (f.title !== titleFromName(f.name)) cf.t = f.title;
      if (f.itemKind !== undefined) cf.i = f.itemKind;
      if (f.fieldKind === 'internal') cf.f = 1;
      if (f.required) cf.r = 1;
      if (f.nullable) cf.u = 1;
      if (f.default !== undefined) cf.d = f.default;
      if (Object.keys(f.constraints).length > 0) cf.c = f.constraints;
      if (f.uiType !== undefined) cf.ut = f.uiType;
      if (f.uiHidden === true) cf.uh = 1;
      if (f.uiOrder !== undefined) cf.uo = f.uiOrder;
      inputs[f.name] = cf;
    }
    const outputs: Record<string, CompactOutput> = {};
    for (const o of Object.values(t.outputs)) {
      outputs[o.name] = { k: o.kind, n: o.typeName, ...(o.itemKind !== undefined ? { i: o.itemKind } : {}) };
    }
    nodes[t.type] = [t.title, t.version, t.nodePack, t.category ?? '', t.classification ?? '', t.useCache ? 1 : 0, t.outputType, inputs, outputs];
  }
  return { format: 1, source, nodes };
};

/** Unpacks a snapshot made by `compactTemplates` (descriptions come back empty). */
export const expandTemplates = (snap: TemplatesSnapshot): NodeTemplates => {
  const templates: Record<string, NodeTemplate> = {};
  for (const [type, [title, version, nodePack, category, classification, useCache, outputType, inputs, outputs]] of Object.entries(snap.nodes)) {
    const fields: Record<string, FieldTemplate> = {};
    for (const [name, f] of Object.entries(inputs)) {
      fields[name] = {
        name,
        title: f.t ?? titleFromName(name),
        description: '',
        kind: f.k,
        ...(f.i !== undefined ? { itemKind: f.i } : {}),
        typeName: f.n,
        input: MODES_BACK[f.m] ?? 'any',
        fieldKind: f.f === 1 ? 'internal' : 'input',
        required: f.r === 1,
        nullable: f.u === 1,
        ...(f.d !== undefined ? { default: f.d } : {}),
        constraints: f.c ?? {},
        ...(f.ut !== undefined ? { uiType: f.ut } : {}),
        ...(f.uh === 1 ? { uiHidden: true } : {}),
        ...(f.uo !== undefined ? { uiOrder: f.uo } : {}),
      };
    }
    const outs: Record<string, OutputFieldTemplate> = {};
    for (const [name, o] of Object.entries(outputs)) {
      outs[name] = { name, kind: o.k, ...(o.i !== undefined ? { itemKind: o.i } : {}), typeName: o.n };
    }
    templates[type] = {
      type,
      title,
      version,
      nodePack,
      ...(category !== '' ? { category } : {}),
      ...(classification !== '' ? { classification } : {}),
      useCache: useCache === 1,
      inputs: fields,
      outputType,
      outputs: outs,
    };
  }
  return templates;
};

/**
 * InvokeAI's own node templates (InvokeAI 6.14.0-alpha, field descriptions left out), for
 * `LoadOptions.templates`. Unpacked when first imported; a bundle that never uses them drops them
 * whole (the call is marked pure).
 *
 * @example
 * ```ts
 * import { Workflow } from 'invokeai-rx';
 * import { templates } from 'invokeai-rx/templates';
 * const wf = Workflow.fromJson(text, { templates });
 * ```
 */
export const templates: NodeTemplates = /*#__PURE__*/ deepFreeze(expandTemplates(snapshot as unknown as TemplatesSnapshot));
