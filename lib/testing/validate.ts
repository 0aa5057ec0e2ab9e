/** Enqueue-time validation of a Batch as InvokeAI's pydantic models do it, with FastAPI's 422 error shape. */
import { JsonSchema, SchemaIndex, nonNullAlternatives, isNullable } from './openapi';

// The simulator shares no code with the client library on purpose (it must not agree with the
// client by construction), so it keeps this one-line check of its own.
/** A JSON object (not null, not an array). */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** One entry of FastAPI's `HTTPValidationError.detail`. */
export interface ValidationIssue {
  readonly type: string;
  readonly loc: ReadonlyArray<string | number>;
  readonly msg: string;
  readonly input: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** A graph edge as sent by clients. */
export interface GraphEdge {
  readonly source: { readonly node_id: string; readonly field: string };
  readonly destination: { readonly node_id: string; readonly field: string };
}

/** A graph node after validation: known fields only, values coerced. */
export type GraphNode = Readonly<Record<string, unknown>> & { readonly id: string; readonly type: string };

/** A validated graph. */
export interface ValidGraph {
  readonly id: string;
  readonly nodes: Readonly<Record<string, GraphNode>>;
  readonly edges: ReadonlyArray<GraphEdge>;
}

/** One batch datum. */
export interface BatchDatum {
  readonly node_path: string;
  readonly field_name: string;
  readonly items: ReadonlyArray<unknown>;
}

/** A validated Batch. */
export interface ValidBatch {
  readonly batch_id: string;
  readonly origin: string | null;
  readonly destination: string | null;
  readonly data: ReadonlyArray<ReadonlyArray<BatchDatum>> | null;
  readonly graph: ValidGraph;
  readonly workflow: unknown;
  readonly runs: number;
}

/** Result of validating a value against a schema. */
type Checked = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly issues: ValidationIssue[] };

const fail = (issue: ValidationIssue): Checked => ({ ok: false, issues: [issue] });

const quoteList = (values: ReadonlyArray<unknown>): string => {
  const quoted = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
};

/** pydantic's `missing` issue: a required field at `loc` is absent from `input`. */
export const fieldRequired = (loc: ReadonlyArray<string | number>, input: unknown): ValidationIssue => ({ type: 'missing', loc, msg: 'Field required', input });

/** pydantic's `enum` issue: `input` at `loc` is none of `values`. */
export const enumIssue = (loc: ReadonlyArray<string | number>, values: ReadonlyArray<unknown>, input: unknown): ValidationIssue => ({
  type: 'enum',
  loc,
  msg: `Input should be ${quoteList(values)}`,
  input,
  ctx: { expected: quoteList(values) },
});

const checkNumberBounds = (s: JsonSchema, n: number, loc: ReadonlyArray<string | number>): Checked => {
  if (s.minimum !== undefined && n < s.minimum)
    return fail({ type: 'greater_than_equal', loc, msg: `Input should be greater than or equal to ${s.minimum}`, input: n, ctx: { ge: s.minimum } });
  if (s.maximum !== undefined && n > s.maximum)
    return fail({ type: 'less_than_equal', loc, msg: `Input should be less than or equal to ${s.maximum}`, input: n, ctx: { le: s.maximum } });
  if (s.exclusiveMinimum !== undefined && n <= s.exclusiveMinimum)
    return fail({ type: 'greater_than', loc, msg: `Input should be greater than ${s.exclusiveMinimum}`, input: n, ctx: { gt: s.exclusiveMinimum } });
  if (s.exclusiveMaximum !== undefined && n >= s.exclusiveMaximum)
    return fail({ type: 'less_than', loc, msg: `Input should be less than ${s.exclusiveMaximum}`, input: n, ctx: { lt: s.exclusiveMaximum } });
  return { ok: true, value: n };
};

/** Validates (lax mode, like pydantic) one value against a field schema. */
export const checkValue = (index: SchemaIndex, schema: JsonSchema, value: unknown, loc: ReadonlyArray<string | number>): Checked => {
  if (value === null) {
    return isNullable(schema) || schema.type === undefined && !schema.$ref && !schema.anyOf && !schema.oneOf
      ? { ok: true, value: null }
      : fail({ type: 'model_type', loc, msg: 'Input should be a valid value, not None', input: null });
  }
  const alts = nonNullAlternatives(schema);
  if (alts.length > 1) {
    const issues: ValidationIssue[] = [];
    for (const alt of alts) {
      const r = checkValue(index, alt, value, loc);
      if (r.ok) return r;
      issues.push(...r.issues);
    }
    return { ok: false, issues };
  }
  const s = index.resolve(alts[0] ?? schema);
  const name = index.refName(alts[0] ?? schema) ?? s.title ?? 'object';
  if (s.enum) {
    if (s.enum.includes(value)) return { ok: true, value };
    return fail(enumIssue(loc, s.enum, value));
  }
  if (s.const !== undefined) {
    return value === s.const
      ? { ok: true, value }
      : fail({ type: 'literal_error', loc, msg: `Input should be ${quoteList([s.const])}`, input: value, ctx: { expected: quoteList([s.const]) } });
  }
  switch (s.type) {
    case 'string':
      // InvokeAI nodes use coerce_numbers_to_str
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number') return { ok: true, value: String(value) };
      return fail({ type: 'string_type', loc, msg: 'Input should be a valid string', input: value });
    case 'integer': {
      let n: number | undefined;
      if (typeof value === 'number') {
        if (!Number.isInteger(value))
          return fail({ type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input: value });
        n = value;
      } else if (typeof value === 'boolean') {
        n = value ? 1 : 0;
      } else if (typeof value === 'string') {
        if (!/^\s*[-+]?\d+\s*$/.test(value))
          return fail({ type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer', input: value });
        n = parseInt(value, 10);
      } else {
        return fail({ type: 'int_type', loc, msg: 'Input should be a valid integer', input: value });
      }
      return checkNumberBounds(s, n, loc);
    }
    case 'number': {
      let n: number | undefined;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'boolean') n = value ? 1 : 0;
      else if (typeof value === 'string') {
        const parsed = Number(value);
        if (value.trim() === '' || Number.isNaN(parsed))
          return fail({ type: 'float_parsing', loc, msg: 'Input should be a valid number, unable to parse string as a number', input: value });
        n = parsed;
      } else {
        return fail({ type: 'float_type', loc, msg: 'Input should be a valid number', input: value });
      }
      return checkNumberBounds(s, n, loc);
    }
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (value === 0 || value === 1) return { ok: true, value: value === 1 };
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (['true', '1', 'yes', 'on', 't', 'y'].includes(v)) return { ok: true, value: true };
        if (['false', '0', 'no', 'off', 'f', 'n'].includes(v)) return { ok: true, value: false };
        return fail({ type: 'bool_parsing', loc, msg: 'Input should be a valid boolean, unable to interpret input', input: value });
      }
      return fail({ type: 'bool_type', loc, msg: 'Input should be a valid boolean', input: value });
    case 'array': {
      if (!Array.isArray(value)) return fail({ type: 'list_type', loc, msg: 'Input should be a valid list', input: value });
      const out: unknown[] = [];
      const issues: ValidationIssue[] = [];
      value.forEach((item, i) => {
        const r = s.items ? checkValue(index, s.items, item, [...loc, i]) : { ok: true as const, value: item };
        if (r.ok) out.push(r.value);
        else issues.push(...r.issues);
      });
      return issues.length ? { ok: false, issues } : { ok: true, value: out };
    }
    case 'object': {
      if (!isRecord(value))
        return fail({ type: 'model_type', loc, msg: `Input should be a valid dictionary or instance of ${name}`, input: value, ctx: { class_name: name } });
      if (!s.properties) return { ok: true, value };
      const out: Record<string, unknown> = {};
      const issues: ValidationIssue[] = [];
      for (const [key, propSchema] of Object.entries(s.properties)) {
        if (!(key in value)) {
          if (s.required?.includes(key)) issues.push(fieldRequired([...loc, key], value));
          continue;
        }
        const r = checkValue(index, propSchema, value[key], [...loc, key]);
        if (r.ok) out[key] = r.value;
        else issues.push(...r.issues);
      }
      // extras on nested models are kept: several field models allow them
      for (const [key, v] of Object.entries(value)) if (!(key in s.properties)) out[key] = v;
      return issues.length ? { ok: false, issues } : { ok: true, value: out };
    }
    default:
      return { ok: true, value };
  }
};

/** Validates one graph node: known type, typed fields, extras dropped. */
const checkNode = (index: SchemaIndex, raw: unknown, loc: ReadonlyArray<string | number>): { node?: GraphNode; issues: ValidationIssue[] } => {
  if (!isRecord(raw) || typeof raw.type !== 'string') {
    return {
      issues: [{ type: 'union_tag_not_found', loc, msg: "Unable to extract tag using discriminator 'type'", input: raw, ctx: { discriminator: "'type'" } }],
    };
  }
  const nodeSchema = index.nodes.get(raw.type);
  if (!nodeSchema) {
    const expected = [...index.nodes.keys()].map((t) => `'${t}'`).join(', ');
    return {
      issues: [
        {
          type: 'union_tag_invalid',
          loc,
          msg: `Input tag '${raw.type}' found using 'type' does not match any of the expected tags: ${expected}`,
          input: raw,
          ctx: { discriminator: "'type'", tag: raw.type, expected_tags: expected },
        },
      ],
    };
  }
  const nodeLoc = [...loc, raw.type];
  // pydantic dumps every field in definition order, defaults included (REST then drops the nulls)
  const out: Record<string, unknown> = {};
  const issues: ValidationIssue[] = [];
  for (const [key, propSchema] of Object.entries(nodeSchema.schema.properties ?? {})) {
    if (key === 'type') {
      out.type = raw.type;
      continue;
    }
    if (!(key in raw)) {
      if (key === 'id') issues.push(fieldRequired([...nodeLoc, key], raw));
      else if ('default' in propSchema) out[key] = structuredClone(propSchema.default);
      continue;
    }
    const r = checkValue(index, propSchema, raw[key], [...nodeLoc, key]);
    if (r.ok) out[key] = r.value;
    else issues.push(...r.issues);
  }
  if (!('type' in out)) out.type = raw.type;
  return { node: out as GraphNode, issues };
};

const valueError = (loc: ReadonlyArray<string | number>, message: string, input: unknown): ValidationIssue => ({
  type: 'value_error',
  loc,
  msg: `Value error, ${message}`,
  input,
  ctx: { error: {} },
});

const hasCycle = (nodeIds: ReadonlyArray<string>, edges: ReadonlyArray<GraphEdge>): boolean => {
  const children = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) children.get(e.source.node_id)?.push(e.destination.node_id);
  const state = new Map<string, 1 | 2>();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === 1) return true;
    if (s === 2) return false;
    state.set(id, 1);
    for (const c of children.get(id) ?? []) if (visit(c)) return true;
    state.set(id, 2);
    return false;
  };
  return nodeIds.some((id) => visit(id));
};

/** The type names a field schema admits: `$ref` names, primitive types, `list[...]` for arrays; empty = Any. */
const typeNames = (index: SchemaIndex, schema: JsonSchema): Set<string> => {
  const out = new Set<string>();
  const visit = (s: JsonSchema): void => {
    const alts = s.anyOf ?? s.oneOf;
    if (alts) return alts.forEach(visit);
    const ref = index.refName(s);
    if (ref) out.add(ref);
    else if (s.type === 'array') {
      const inner = s.items ? typeNames(index, s.items) : new Set<string>();
      if (inner.size === 0) out.add('list[*]');
      inner.forEach((t) => out.add(`list[${t}]`));
    } else if (s.type && s.type !== 'null') out.add(s.type);
  };
  visit(schema);
  return out;
};

/**
 * A conservative version of InvokeAI's `are_connection_types_compatible`: only clearly different
 * field models are rejected (Any, iterate/collect, int→float, single→list and enums pass).
 */
const edgeTypesCompatible = (index: SchemaIndex, srcType: string, srcField: string, dstType: string, dstField: string): boolean => {
  if (['iterate', 'collect'].includes(srcType) || ['iterate', 'collect'].includes(dstType)) return true;
  const outSchema = index.nodes.get(srcType)?.output?.properties?.[srcField];
  const inSchema = index.nodes.get(dstType)?.schema.properties?.[dstField];
  if (!outSchema || !inSchema) return true;
  const from = typeNames(index, outSchema);
  const to = typeNames(index, inSchema);
  if (from.size === 0 || to.size === 0 || to.has('list[*]')) return true;
  const widen = (t: string): string[] => (t === 'integer' ? ['integer', 'number'] : [t]);
  for (const f of from) {
    // only model (`$ref`) types are checked; primitives and enums coerce too freely to judge here
    const bare = f.startsWith('list[') ? f.slice(5, -1) : f;
    if (['string', 'integer', 'number', 'boolean', 'object', '*'].includes(bare) || index.resolve({ $ref: `#/components/schemas/${bare}` }).enum) return true;
    for (const w of widen(f)) if (to.has(w) || to.has(`list[${w}]`)) return true;
  }
  return false;
};

const isEdge = (e: unknown): e is GraphEdge =>
  isRecord(e) &&
  isRecord(e.source) &&
  isRecord(e.destination) &&
  typeof e.source.node_id === 'string' &&
  typeof e.source.field === 'string' &&
  typeof e.destination.node_id === 'string' &&
  typeof e.destination.field === 'string';

/** Validates a graph; structural errors are reported as pydantic `value_error`s at `loc`. */
const validateGraph = (
  index: SchemaIndex,
  raw: unknown,
  loc: ReadonlyArray<string | number>,
  newId: () => string,
): { graph?: ValidGraph; issues: ValidationIssue[] } => {
  if (!isRecord(raw))
    return { issues: [{ type: 'model_type', loc, msg: 'Input should be a valid dictionary or instance of Graph', input: raw, ctx: { class_name: 'Graph' } }] };
  const issues: ValidationIssue[] = [];
  // Node ids may be `constructor` or `__proto__`: each must stay a node of its own.
  const nodes: Record<string, GraphNode> = Object.create(null) as Record<string, GraphNode>;
  const rawNodes = raw.nodes === undefined ? {} : raw.nodes;
  if (!isRecord(rawNodes)) return { issues: [{ type: 'dict_type', loc: [...loc, 'nodes'], msg: 'Input should be a valid dictionary', input: rawNodes }] };
  for (const [id, rawNode] of Object.entries(rawNodes)) {
    const r = checkNode(index, rawNode, [...loc, 'nodes', id]);
    issues.push(...r.issues);
    if (r.node) nodes[id] = r.node;
  }
  const rawEdges = raw.edges === undefined ? [] : raw.edges;
  if (!Array.isArray(rawEdges)) return { issues: [...issues, { type: 'list_type', loc: [...loc, 'edges'], msg: 'Input should be a valid list', input: rawEdges }] };
  const edges: GraphEdge[] = [];
  rawEdges.forEach((e, i) => {
    if (isEdge(e)) edges.push({ source: { node_id: e.source.node_id, field: e.source.field }, destination: { node_id: e.destination.node_id, field: e.destination.field } });
    else issues.push({ type: 'model_type', loc: [...loc, 'edges', i], msg: 'Input should be a valid dictionary or instance of Edge', input: e, ctx: { class_name: 'Edge' } });
  });
  if (issues.length) return { issues };
  // Graph.validate_self runs after field validation (a model validator), so these are value errors
  for (const [id, node] of Object.entries(nodes)) {
    if (node.id !== id) return { issues: [valueError(loc, `Node ids must match, got ${id} and ${node.id}`, raw)] };
  }
  for (const e of edges) {
    const src = nodes[e.source.node_id];
    if (!src) return { issues: [valueError(loc, `Edge source node ${e.source.node_id} does not exist in the graph`, raw)] };
    const dst = nodes[e.destination.node_id];
    if (!dst) return { issues: [valueError(loc, `Edge destination node ${e.destination.node_id} does not exist in the graph`, raw)] };
    const srcOut = index.nodes.get(src.type)?.output?.properties ?? {};
    if (!(e.source.field in srcOut) || e.source.field === 'type')
      return { issues: [valueError(loc, `Edge source field ${e.source.field} does not exist in node ${e.source.node_id}`, raw)] };
    const dstIn = index.nodes.get(dst.type)?.schema.properties ?? {};
    const dstProp = dstIn[e.destination.field];
    if (!dstProp || dstProp.field_kind === 'node_attribute')
      return { issues: [valueError(loc, `Edge destination field ${e.destination.field} does not exist in node ${e.destination.node_id}`, raw)] };
  }
  for (const e of edges) {
    const src = nodes[e.source.node_id];
    const dst = nodes[e.destination.node_id];
    if (!src || !dst || !edgeTypesCompatible(index, src.type, e.source.field, dst.type, e.destination.field))
      return { issues: [valueError(loc, `Field types are incompatible (${e.source.node_id}.${e.source.field} -> ${e.destination.node_id}.${e.destination.field})`, raw)] };
  }
  const seen = new Set<string>();
  for (const e of edges) {
    const key = `${e.destination.node_id}.${e.destination.field}`;
    const dst = nodes[e.destination.node_id];
    if (seen.has(key) && dst?.type !== 'collect')
      return { issues: [valueError(loc, `Destination field ${key} has more than one incoming edge`, raw)] };
    seen.add(key);
  }
  if (hasCycle(Object.keys(nodes), edges)) return { issues: [valueError(loc, 'Graph contains cycles', raw)] };
  const id = typeof raw.id === 'string' ? raw.id : newId();
  return { graph: { id, nodes, edges }, issues: [] };
};

/** Validates an enqueue body `{batch, prepend?}`. */
export const validateEnqueueBody = (
  index: SchemaIndex,
  body: unknown,
  newId: () => string,
): { ok: true; batch: ValidBatch; prepend: boolean } | { ok: false; issues: ValidationIssue[] } => {
  if (!isRecord(body)) return { ok: false, issues: [{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }] };
  const raw = body.batch;
  if (!isRecord(raw)) {
    return raw === undefined
      ? { ok: false, issues: [fieldRequired(['body', 'batch'], body)] }
      : { ok: false, issues: [{ type: 'model_type', loc: ['body', 'batch'], msg: 'Input should be a valid dictionary or instance of Batch', input: raw, ctx: { class_name: 'Batch' } }] };
  }
  const issues: ValidationIssue[] = [];
  if (raw.graph === undefined) issues.push(fieldRequired(['body', 'batch', 'graph'], raw));
  const g = raw.graph === undefined ? { issues: [] as ValidationIssue[] } : validateGraph(index, raw.graph, ['body', 'batch', 'graph'], newId);
  issues.push(...g.issues);
  let runs = 1;
  if (raw.runs !== undefined) {
    const r = checkValue(index, { type: 'integer', minimum: 1 }, raw.runs, ['body', 'batch', 'runs']);
    if (r.ok) runs = r.value as number;
    else issues.push(...r.issues);
  }
  const strOrNull = (key: string): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v === 'string') return v;
    issues.push({ type: 'string_type', loc: ['body', 'batch', key], msg: 'Input should be a valid string', input: v });
    return null;
  };
  const origin = strOrNull('origin');
  const destination = strOrNull('destination');
  const batchIdRaw = strOrNull('batch_id');
  let data: BatchDatum[][] | null = null;
  if (raw.data !== undefined && raw.data !== null) {
    if (!Array.isArray(raw.data)) issues.push({ type: 'list_type', loc: ['body', 'batch', 'data'], msg: 'Input should be a valid list', input: raw.data });
    else {
      data = [];
      raw.data.forEach((inner: unknown, i: number) => {
        if (!Array.isArray(inner)) {
          issues.push({ type: 'list_type', loc: ['body', 'batch', 'data', i], msg: 'Input should be a valid list', input: inner });
          return;
        }
        const list: BatchDatum[] = [];
        inner.forEach((d: unknown, j: number) => {
          const l = ['body', 'batch', 'data', i, j];
          if (!isRecord(d)) issues.push({ type: 'model_type', loc: l, msg: 'Input should be a valid dictionary or instance of BatchDatum', input: d, ctx: { class_name: 'BatchDatum' } });
          else if (typeof d.node_path !== 'string') issues.push({ type: d.node_path === undefined ? 'missing' : 'string_type', loc: [...l, 'node_path'], msg: d.node_path === undefined ? 'Field required' : 'Input should be a valid string', input: d });
          else if (typeof d.field_name !== 'string') issues.push({ type: d.field_name === undefined ? 'missing' : 'string_type', loc: [...l, 'field_name'], msg: d.field_name === undefined ? 'Field required' : 'Input should be a valid string', input: d });
          else if (d.items !== undefined && !Array.isArray(d.items)) issues.push({ type: 'list_type', loc: [...l, 'items'], msg: 'Input should be a valid list', input: d.items });
          else list.push({ node_path: d.node_path, field_name: d.field_name, items: (d.items as unknown[] | undefined) ?? [] });
        });
        data?.push(list);
      });
    }
  }
  if (issues.length || !g.graph) return { ok: false, issues };
  // Batch model validators (value errors at loc ["body","batch"])
  if (data) {
    for (const inner of data) {
      const lengths = new Set(inner.map((d) => d.items.length));
      if (lengths.size > 1) return { ok: false, issues: [valueError(['body', 'batch'], 'Zipped batch items must all have the same length', raw)] };
    }
    for (const inner of data) {
      for (const d of inner) {
        const kinds = new Set(d.items.map((it) => (typeof it === 'number' ? 'number' : typeof it === 'string' ? 'string' : 'object')));
        if (kinds.size > 1) return { ok: false, issues: [valueError(['body', 'batch'], 'All items in a batch must have the same type', raw)] };
      }
    }
    const keys = new Set<string>();
    for (const d of data.flat()) {
      const key = `${d.node_path}.${d.field_name}`;
      if (keys.has(key)) return { ok: false, issues: [valueError(['body', 'batch'], 'Each batch data must have unique node_id and field_name', raw)] };
      keys.add(key);
    }
    for (const d of data.flat()) {
      const node = g.graph.nodes[d.node_path];
      if (!node) return { ok: false, issues: [valueError(['body', 'batch'], `Node ${d.node_path} not found in graph`, raw)] };
      const props = index.nodes.get(node.type)?.schema.properties ?? {};
      if (!(d.field_name in props)) return { ok: false, issues: [valueError(['body', 'batch'], `Field ${d.field_name} not found in node ${d.node_path}`, raw)] };
    }
  }
  let prepend = false;
  if (body.prepend !== undefined) {
    const r = checkValue(index, { type: 'boolean' }, body.prepend, ['body', 'prepend']);
    if (!r.ok) return { ok: false, issues: r.issues };
    prepend = r.value as boolean;
  }
  return {
    ok: true,
    prepend,
    batch: { batch_id: batchIdRaw ?? newId(), origin, destination, data, graph: g.graph, workflow: raw.workflow ?? null, runs },
  };
};

/** Expands a batch into per-session field values: runs (outer) × product over outer lists of zipped inner lists. */
export const expandBatch = (batch: ValidBatch): ReadonlyArray<ReadonlyArray<{ node_path: string; field_name: string; value: unknown }>> => {
  const lists = (batch.data ?? []).filter((inner) => inner.length > 0);
  let combos: Array<Array<{ node_path: string; field_name: string; value: unknown }>> = [[]];
  for (const inner of lists) {
    const len = inner[0]?.items.length ?? 0;
    const next: typeof combos = [];
    for (const combo of combos)
      for (let i = 0; i < len; i++) next.push([...combo, ...inner.map((d) => ({ node_path: d.node_path, field_name: d.field_name, value: d.items[i] }))]);
    combos = next;
  }
  const out: typeof combos = [];
  for (let r = 0; r < batch.runs; r++) out.push(...combos);
  return out;
};
