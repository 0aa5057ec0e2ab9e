// io-ts codecs for the workflow JSON of every schema version the GUI has written (1.0.0 to 4.0.0).
// They check the structure that later steps rely on and leave everything else alone: unknown keys
// pass through untouched (io-ts `type` does not strip), so an export can carry them back out.
// Value-level leniency (labels that are not strings, `value: null`) is handled by the migration,
// which mirrors the GUI's zod `.catch` defaults.

import * as t from 'io-ts';
import type { DecodeIssue } from './errors';

/** A non-empty string: ids of nodes, edges and form elements. */
export const NonEmptyString = /*#__PURE__*/ t.refinement(t.string, (s) => s.length > 0, 'NonEmptyString');

/**
 * An optional member of a `t.type`: absent (undefined) or valid. One flat `t.type` with these is
 * several times cheaper than `t.intersection([t.type, t.partial])`, and decoding runs per node.
 */
export const optional = <C extends t.Mixed>(codec: C): t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown> =>
  new t.Type<t.TypeOf<C> | undefined, t.OutputOf<C> | undefined, unknown>(
    `${codec.name} | undefined`,
    (u): u is t.TypeOf<C> | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );

/** Just enough to read the schema version before choosing a codec. */
export const MetaVersionCodec = /*#__PURE__*/ t.type({ meta: t.type({ version: t.string }, 'Meta') }, 'WorkflowWithMeta');

/** `{nodeId, fieldName}`: an entry of `exposedFields` or a form field's identifier. */
export const FieldIdentifierCodec = /*#__PURE__*/ t.type({ nodeId: t.string, fieldName: t.string }, 'FieldIdentifier');

const PositionCodec = /*#__PURE__*/ t.type({ x: t.number, y: t.number }, 'Position');

/** An input instance of any version: an object; its keys are normalised by the migration. */
export const InputInstanceCodec = t.UnknownRecord;

/**
 * `data.inputs`: an object of input objects. Hand-written because `t.record` also decodes every
 * key as a string and copies the record, and this runs for hundreds of inputs per workflow.
 */
const InputsCodec = new t.Type<Readonly<Record<string, Readonly<Record<string, unknown>>>>, unknown, unknown>(
  'Inputs',
  (u): u is Readonly<Record<string, Readonly<Record<string, unknown>>>> =>
    t.UnknownRecord.is(u) && Object.values(u).every((v) => InputInstanceCodec.is(v)),
  (u, c) => {
    if (!t.UnknownRecord.is(u)) return t.failure(u, c);
    const errors: t.ValidationError[] = [];
    for (const key of Object.keys(u)) {
      const v = u[key];
      if (!InputInstanceCodec.is(v)) errors.push({ value: v, context: t.appendContext(c, key, InputInstanceCodec, v) });
    }
    return errors.length > 0 ? t.failures(errors) : t.success(u as Readonly<Record<string, Readonly<Record<string, unknown>>>>);
  },
  t.identity,
);

/** `data` of an invocation node (all versions): the node type and its inputs are what matter. */
export const InvocationDataCodec = /*#__PURE__*/ t.type(
  {
    type: NonEmptyString,
    inputs: InputsCodec,
    id: optional(t.string),
    version: optional(t.string),
    nodePack: optional(t.string),
    isOpen: optional(t.boolean),
    isIntermediate: optional(t.boolean),
    useCache: optional(t.boolean),
    dynamicInputTemplates: optional(t.UnknownRecord),
  },
  'InvocationNodeData',
);

const nodeCodec = <T extends string, D extends t.Mixed>(type: T, data: D, name: string) =>
  t.type({ id: NonEmptyString, type: t.literal(type), data, position: optional(PositionCodec) }, name);

/** An invocation node (all versions). */
export const InvocationNodeCodec = /*#__PURE__*/ nodeCodec('invocation', InvocationDataCodec, 'InvocationNode');
/** A notes node (all versions). */
export const NotesNodeCodec = /*#__PURE__*/ nodeCodec('notes', t.UnknownRecord, 'NotesNode');
/** A connector (reroute) node (4.0.0). */
export const ConnectorNodeCodec = /*#__PURE__*/ nodeCodec('connector', t.UnknownRecord, 'ConnectorNode');

/** Nodes of schema 3.0.0 and 4.0.0. */
export const NodeCodecV3 = /*#__PURE__*/ t.union([InvocationNodeCodec, NotesNodeCodec, ConnectorNodeCodec], 'WorkflowNode');
/** Nodes of schema 1.0.0 and 2.0.0 (no connectors yet). */
export const NodeCodecV1 = /*#__PURE__*/ t.union([InvocationNodeCodec, NotesNodeCodec], 'WorkflowNodeV1');

/** An edge that becomes a graph edge. */
export const DefaultEdgeCodec = /*#__PURE__*/ t.type(
  {
    id: t.string,
    type: t.literal('default'),
    source: NonEmptyString,
    sourceHandle: NonEmptyString,
    target: NonEmptyString,
    targetHandle: NonEmptyString,
    hidden: optional(t.boolean),
  },
  'DefaultEdge',
);

/** A visual edge between collapsed nodes, without handles. */
export const CollapsedEdgeCodec = /*#__PURE__*/ t.type(
  { id: t.string, type: t.literal('collapsed'), source: NonEmptyString, target: NonEmptyString },
  'CollapsedEdge',
);

/** Edges of every version. */
export const EdgeCodec = /*#__PURE__*/ t.union([DefaultEdgeCodec, CollapsedEdgeCodec], 'WorkflowEdge');

const TopLevelOptional = /*#__PURE__*/ t.partial({
  name: t.string,
  author: t.string,
  description: t.string,
  version: t.string,
  contact: t.string,
  notes: t.string,
  id: t.string,
  exposedFields: t.array(FieldIdentifierCodec),
  // The GUI replaces an invalid form with the default one, so any value is accepted here.
  form: t.unknown,
});

const workflowCodec = <N extends t.Mixed>(node: N, name: string) =>
  t.intersection(
    [
      t.type({
        meta: t.intersection([t.type({ version: t.string }), t.partial({ category: t.keyof({ user: null, default: null }) })]),
        nodes: t.array(node),
        edges: t.array(EdgeCodec),
      }),
      TopLevelOptional,
    ],
    name,
  );

/** Schema 3.0.0 and 4.0.0 (4.0.0 adds the form, connectors and hidden edges; 3.0.0 files may carry a form too). */
export const WorkflowCodecV3 = /*#__PURE__*/ workflowCodec(NodeCodecV3, 'WorkflowV3');
/** Schema 1.0.0 and 2.0.0: the inputs carry `type` and `fieldKind`, nodes carry `outputs`. */
export const WorkflowCodecV1 = /*#__PURE__*/ workflowCodec(NodeCodecV1, 'WorkflowV1');

// ---------------------------------------------------------------------------------------------
// The form builder tree (checked separately: an invalid form is replaced, not fatal)

const ElementBase = /*#__PURE__*/ t.intersection([t.type({ id: NonEmptyString }), t.partial({ parentId: t.string })]);

/** A form element of any of the five types. */
export const FormElementCodec = /*#__PURE__*/ t.union(
  [
    t.intersection([
      ElementBase,
      t.type({
        type: t.literal('container'),
        data: t.type({ layout: t.keyof({ row: null, column: null }), children: t.array(t.string) }),
      }),
    ]),
    t.intersection([
      ElementBase,
      t.type({
        type: t.literal('node-field'),
        data: t.intersection([
          t.type({ fieldIdentifier: FieldIdentifierCodec }),
          t.partial({ showDescription: t.boolean, settings: t.UnknownRecord }),
        ]),
      }),
    ]),
    t.intersection([ElementBase, t.type({ type: t.literal('heading'), data: t.type({ content: t.string }) })]),
    t.intersection([ElementBase, t.type({ type: t.literal('text'), data: t.type({ content: t.string }) })]),
    t.intersection([ElementBase, t.type({ type: t.literal('divider') })]),
  ],
  'FormElement',
);

/** The form: a root id and the elements by id. */
export const FormCodec = /*#__PURE__*/ t.type(
  { rootElementId: NonEmptyString, elements: t.record(t.string, FormElementCodec) },
  'WorkflowForm',
);

// ---------------------------------------------------------------------------------------------
// Error reporting

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The path segment of an object key: `.key` for an identifier, else `["odd key"]`. */
export const keySegment = (key: string): string => (IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);

/** `$.a.b[3]["odd key"]` from an io-ts context: union and intersection branches add no segment. */
export const contextPath = (context: t.Context): string => {
  let path = '$';
  for (let i = 1; i < context.length; i++) {
    const parent = context[i - 1].type as t.Mixed & { _tag?: string };
    const key = context[i].key;
    const tag = parent._tag;
    if (tag === 'UnionType' || tag === 'IntersectionType' || tag === 'TaggedUnionType' || tag === 'RefinementType') continue;
    if (tag === 'ArrayType' || tag === 'ReadonlyArrayType') path += `[${key}]`;
    else path += keySegment(key);
  }
  return path;
};

const describe = (u: unknown): string => {
  if (u === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(u) ?? String(u);
  } catch {
    text = String(u);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** One issue per path, in a message a person can act on. */
export const issuesFromErrors = (errors: t.Errors): DecodeIssue[] => {
  const seen = new Map<string, DecodeIssue>();
  for (const e of errors) {
    const path = contextPath(e.context);
    if (seen.has(path)) continue;
    const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value';
    seen.set(path, { path, message: e.message ?? `expected ${expected}, got ${describe(e.value)}` });
  }
  return [...seen.values()];
};
