// A workflow's inputs: discovery in form order, refs (index, label, field name, nodeId.fieldName,
// nodeLabel.fieldName), value checking against the field template, and the pure setters.

import * as E from 'fp-ts/Either';
import { produce } from 'immer';
import type { NodeId } from '../protocol/ids';
import { InputError, type InputIssue } from './errors';
import { formFieldOrder, nodeDisplayLabel } from './form';
import type { FieldTemplate, InputRef, InvocationNode, NodeTemplates, WorkflowEdge, WorkflowInput, WorkflowJson, WorkflowNode } from './types';
import type { Workflow } from './workflow';
import { makeWorkflow, workflowWarnings } from './workflow';
import { checkValue } from './values';

// ---------------------------------------------------------------------------------------------
// Derived data, memoised per (immutable) value

const nodeIndexMemo = new WeakMap<readonly WorkflowNode[], ReadonlyMap<string, number>>();

/** Node id → position in `json.nodes`. */
export const nodeIndexById = (nodes: readonly WorkflowNode[]): ReadonlyMap<string, number> => {
  let m = nodeIndexMemo.get(nodes);
  if (m === undefined) {
    m = new Map(nodes.map((n, i) => [n.id, i] as const));
    nodeIndexMemo.set(nodes, m);
  }
  return m;
};

const connectedMemo = new WeakMap<readonly WorkflowEdge[], ReadonlyMap<string, string>>();
/** A workflow node's id as the id its graph node and its events carry: the loader admits no empty node id. */
export const workflowNodeId = (id: string): NodeId => id as NodeId;

/** The key of one node input in maps and sets (`\0` cannot occur in node ids or field names). */
export const fieldKey = (nodeId: string, fieldName: string): string => `${nodeId}\u0000${fieldName}`;

/** `nodeId\0fieldName` of every input an edge feeds → the source, `nodeId.handle`. */
export const connectedInputs = (edges: readonly WorkflowEdge[]): ReadonlyMap<string, string> => {
  let m = connectedMemo.get(edges);
  if (m === undefined) {
    const built = new Map<string, string>();
    for (const e of edges) if (e.type === 'default') built.set(fieldKey(e.target, e.targetHandle), `${e.source}.${e.sourceHandle}`);
    m = built;
    connectedMemo.set(edges, m);
  }
  return m;
};

export { nodeDisplayLabel } from './form';

/**
 * Describes node inputs of the workflow as `WorkflowInput`s, at the index given (`-1` for an input
 * outside the form). The lookups are made once, for describing many inputs.
 */
export const inputDescriber = (wf: Workflow) => {
  const { nodes, edges } = wf.json;
  const { templates } = wf;
  const byId = nodeIndexById(nodes);
  const connected = connectedInputs(edges);
  return (id: string, fieldName: string, index: number): WorkflowInput => {
    const nodeId = workflowNodeId(id);
    const node = nodes[byId.get(nodeId) ?? -1];
    // The loader guarantees that form fields name invocation nodes; a hand-made value may not.
    if (node === undefined || node.type !== 'invocation') {
      return {
        index, nodeId, nodeType: 'unknown', nodeLabel: nodeId, fieldName, label: fieldName, description: '',
        kind: 'unknown', value: undefined, required: false, input: 'any', constraints: {}, connected: false,
      };
    }
    const template: FieldTemplate | undefined = templates[node.data.type]?.inputs[fieldName];
    const instance = node.data.inputs[fieldName];
    return {
      index,
      nodeId,
      nodeType: node.data.type,
      nodeLabel: nodeDisplayLabel(node, templates),
      fieldName,
      label: instance?.label ? instance.label : template?.title ?? fieldName,
      description: instance?.description ? instance.description : template?.description ?? '',
      kind: template?.kind ?? 'unknown',
      ...(template?.itemKind !== undefined ? { itemKind: template.itemKind } : {}),
      value: instance?.value,
      required: template?.required ?? false,
      input: template?.input ?? 'any',
      constraints: template?.constraints ?? {},
      connected: connected.has(fieldKey(nodeId, fieldName)),
      ...(template !== undefined ? { template } : {}),
    };
  };
};

const inputsMemo = /*#__PURE__*/ new WeakMap<Workflow, readonly WorkflowInput[]>();

/**
 * The workflow's inputs in form order (depth-first pre-order from `form.rootElementId`; a form
 * rebuilt from legacy `exposedFields` keeps their order). Memoised per value.
 *
 * @example
 * ```ts
 * import { Workflow, listInputs } from 'invokeai-rx';
 * for (const i of listInputs(Workflow.fromJson(text))) console.log(i.index, i.label, i.kind, i.value);
 * ```
 */
export const listInputs = (wf: Workflow): readonly WorkflowInput[] => {
  let list = inputsMemo.get(wf);
  if (list === undefined) {
    const describe = inputDescriber(wf);
    list = Object.freeze(formFieldOrder(wf.json.form).map((f, i) => Object.freeze(describe(f.nodeId, f.fieldName, i))));
    inputsMemo.set(wf, list);
  }
  return list;
};

// ---------------------------------------------------------------------------------------------
// Refs

/** How an input is shown in an error's list of candidates. */
export const describeCandidate = (i: WorkflowInput): string =>
  `#${i.index} "${i.label}" (${i.nodeLabel}.${i.fieldName}, ref "${i.nodeId}.${i.fieldName}", ${i.kind})`;

const refText = (ref: InputRef): string => (typeof ref === 'number' ? `#${ref}` : JSON.stringify(ref));

/** Finds the one input a ref names, or says why it cannot. */
export const resolveInput = (wf: Workflow, ref: InputRef): E.Either<InputIssue, WorkflowInput> => {
  const inputs = listInputs(wf);
  const all = () => inputs.map(describeCandidate);
  if (typeof ref === 'number') {
    const found = Number.isInteger(ref) ? inputs[ref] : undefined;
    return found !== undefined
      ? E.right(found)
      : E.left({
          code: 'unknown-ref',
          ref: String(ref),
          message: `No input #${ref}: this workflow has ${inputs.length} input${inputs.length === 1 ? '' : 's'} (indices 0-${inputs.length - 1}). Inputs:\n${all().map((c) => `  ${c}`).join('\n')}`,
          candidates: all(),
        });
  }
  const namesOf = (i: WorkflowInput): readonly string[] => [i.label, i.fieldName, `${i.nodeId}.${i.fieldName}`, `${i.nodeLabel}.${i.fieldName}`];
  // The exact spelling first; only when nothing has it, the same name in any case ('positive prompt').
  const exact = inputs.filter((i) => namesOf(i).includes(ref));
  const lower = ref.toLowerCase();
  const matches = exact.length > 0 ? exact : inputs.filter((i) => namesOf(i).some((n) => n.toLowerCase() === lower));
  if (matches.length === 1) return E.right(matches[0]);
  if (matches.length === 0) {
    return E.left({
      code: 'unknown-ref',
      ref,
      message: `No input is named ${refText(ref)} (by label, field name, nodeId.fieldName or nodeLabel.fieldName, in any case). Inputs:\n${all().map((c) => `  ${c}`).join('\n')}`,
      candidates: all(),
    });
  }
  const candidates = matches.map(describeCandidate);
  return E.left({
    code: 'ambiguous-ref',
    ref,
    message: `${refText(ref)} names ${matches.length} inputs${exact.length === 0 ? ' (ignoring case)' : ''}; use an index or "nodeId.fieldName" to pick one:\n${candidates.map((c) => `  ${c}`).join('\n')}`,
    candidates,
  });
};

/**
 * The input a ref names; throws `InputError` when it names none or several (listing candidates).
 *
 * @example
 * ```ts
 * import { getInput } from 'invokeai-rx';
 * getInput(wf, 'seed').value;
 * ```
 */
export const getInput = (wf: Workflow, ref: InputRef): WorkflowInput => {
  const r = resolveInput(wf, ref);
  if (E.isLeft(r)) throw new InputError([r.left]);
  return r.right;
};

// ---------------------------------------------------------------------------------------------
// Setters

/** JSON-only copy of a value, so that freezing the new workflow never freezes the caller's object. */
const copyValue = (u: unknown): unknown =>
  u === null || typeof u !== 'object' ? u : Array.isArray(u) ? u.map(copyValue) : Object.fromEntries(Object.entries(u).map(([k, v]) => [k, copyValue(v)]));

interface Assignment {
  readonly input: WorkflowInput;
  /** `undefined` unsets the value. */
  readonly value: unknown;
}

const prepare = (wf: Workflow, ref: InputRef, value: unknown): E.Either<InputIssue, Assignment> => {
  const resolved = resolveInput(wf, ref);
  if (E.isLeft(resolved)) return resolved;
  const input = resolved.right;
  if (input.connected) {
    const source = connectedInputs(wf.json.edges).get(fieldKey(input.nodeId, input.fieldName));
    return E.left({
      code: 'connected',
      ref: `${input.nodeId}.${input.fieldName}`,
      path: inputPath(wf, input.nodeId, input.fieldName),
      message: `Input ${describeCandidate(input)} is fed by an edge from ${source}, so a value set here would never reach the server; set the source node's input instead, or remove the edge in the editor.`,
    });
  }
  const checked = checkValue(input, value);
  if (E.isLeft(checked)) return E.left({ ...checked.left, path: inputPath(wf, input.nodeId, input.fieldName) });
  return E.right({ input, value: checked.right === undefined ? undefined : copyValue(checked.right) });
};

/** `$.nodes[3].data.inputs.seed` for a node input. */
export const inputPath = (wf: Workflow, nodeId: string, fieldName: string): string =>
  `$.nodes[${nodeIndexById(wf.json.nodes).get(nodeId) ?? '?'}].data.inputs.${fieldName}`;

/** An input instance inside an Immer draft. */
export type MutableInstance = { name: string; label: string; description: string; value?: unknown };

/**
 * The node with the given input values set (`undefined` unsets one); an input the node has no
 * instance for yet gets one. Immer shares every input it does not touch.
 */
export const withInputValues = (node: InvocationNode, edits: Iterable<{ readonly fieldName: string; readonly value: unknown }>): InvocationNode =>
  produce(node, (draft) => {
    const inputs = draft.data.inputs as Record<string, MutableInstance>;
    for (const { fieldName, value } of edits) {
      const current = inputs[fieldName];
      if (current === undefined) {
        if (value !== undefined) inputs[fieldName] = { name: fieldName, label: '', description: '', value };
      } else if (value === undefined) delete current.value;
      else current.value = value;
    }
  });

const apply = (wf: Workflow, assignments: readonly Assignment[]): Workflow => {
  const byId = nodeIndexById(wf.json.nodes);
  const byNode = new Map<number, Assignment[]>();
  for (const a of assignments) {
    const n = byId.get(a.input.nodeId)!;
    byNode.set(n, [...(byNode.get(n) ?? []), a]);
  }
  // Each edit is an Immer `produce` on the node it changes; the two levels above (the nodes array
  // and the top object) are copied by hand, because a draft of the whole workflow costs several
  // times more on large workflows and buys nothing: every other node is shared as it is.
  const nodes = wf.json.nodes.slice();
  for (const [n, edits] of byNode) {
    const node = nodes[n];
    if (node.type !== 'invocation') continue;
    nodes[n] = withInputValues(node, edits.map(({ input, value }) => ({ fieldName: input.fieldName, value })));
  }
  const json: WorkflowJson = { ...wf.json, nodes };
  const next = makeWorkflow(json, wf.templates, workflowWarnings(wf));
  // The input list differs only in the values just set: derive it instead of walking the form again.
  const previous = inputsMemo.get(wf);
  if (previous !== undefined) {
    const changed = new Set(assignments.map((a) => fieldKey(a.input.nodeId, a.input.fieldName)));
    const instanceOf = (i: WorkflowInput) => {
      const n = json.nodes[byId.get(i.nodeId)!];
      return n.type === 'invocation' ? n.data.inputs[i.fieldName] : undefined;
    };
    inputsMemo.set(
      next,
      Object.freeze(
        previous.map((i) => {
          return changed.has(fieldKey(i.nodeId, i.fieldName)) ? Object.freeze({ ...i, value: instanceOf(i)?.value }) : i;
        }),
      ),
    );
  }
  return next;
};

/** Sets one input, as an fp-ts `Either` instead of throwing. Data-last. */
export const trySetInput =
  (ref: InputRef, value: unknown) =>
  (wf: Workflow): E.Either<InputError, Workflow> => {
    const prepared = prepare(wf, ref, value);
    return E.isLeft(prepared) ? E.left(new InputError([prepared.left])) : E.right(apply(wf, [prepared.right]));
  };

/**
 * Sets one input (by index, label, field name, `nodeId.fieldName` or `nodeLabel.fieldName`);
 * `undefined` or `null` unsets it. Throws `InputError`. Data-last, for `pipe`.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/function';
 * import { Workflow, setInput } from 'invokeai-rx';
 * const wf = pipe(Workflow.fromJson(text), setInput('Positive Prompt', 'a lighthouse'), setInput(3, 1024));
 * ```
 */
export const setInput =
  (ref: InputRef, value: unknown) =>
  (wf: Workflow): Workflow => {
    const r = trySetInput(ref, value)(wf);
    if (E.isLeft(r)) throw r.left;
    return r.right;
  };

const DIGITS = /^(0|[1-9][0-9]*)$/;

/**
 * The ref a record key names: a canonical decimal (`"3"`) is an input index, anything else (even
 * `"007"`) a label or field name. `setInputs` and sweeps share this rule.
 */
export const refOfKey = (key: string): InputRef => (DIGITS.test(key) ? Number(key) : key);

/**
 * Sets several inputs at once; keys are refs (all-digit keys are indices). Every problem is
 * reported in one `InputError`, and nothing is set unless all are valid.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/function';
 * import { setInputs } from 'invokeai-rx';
 * const next = pipe(wf, setInputs({ seed: 42, 'noise.height': 768, 0: 'a prompt' }));
 * ```
 */
export const setInputs =
  (values: Readonly<Record<string, unknown>>) =>
  (wf: Workflow): Workflow => {
    const issues: InputIssue[] = [];
    const assignments: Assignment[] = [];
    for (const key of Object.keys(values)) {
      const prepared = prepare(wf, refOfKey(key), values[key]);
      if (E.isLeft(prepared)) issues.push(prepared.left);
      else assignments.push(prepared.right);
    }
    if (issues.length > 0) throw new InputError(issues);
    return assignments.length === 0 ? wf : apply(wf, assignments);
  };
