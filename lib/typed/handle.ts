// The typed handle over a `Workflow` value that `invokeai-rx codegen` modules export. Its types
// come from the generated module; at run time it is a thin layer over the public workflow
// functions (`listInputs`, `setInputs`, `validateWorkflow`, `listOutputs`): every value still goes
// through the checks `setInput` makes (ranges, multiples, enum options, model bases).
import * as E from 'fp-ts/Either';
import { map, type Observable } from 'rxjs';
import { toModelIdentifier } from '../client/models';
import type { RunEvent, RunItemResult, RunOutput, RunResult } from '../run/events';
import type { RunOptions } from '../run/run';
import type { Sweep } from '../workflow/batch';
import { InputError, type InputIssue } from '../workflow/errors';
import { listInputs, setInputs, workflowNodeId } from '../workflow/inputs';
import { listOutputs } from '../workflow/outputs';
import { accepts, type ModelRecord } from '../workflow/sync-models';
import type { WorkflowInput } from '../workflow/types';
import type { Workflow } from '../workflow/workflow';
import { validateWorkflow } from '../workflow/validate';
import { TypedWorkflowError } from './errors';
import type { InputKey, InputLabel, InputValue, InputValues, RequiredInputs, SweepValues, TypedSweep, WorkflowSpec, WorkflowTable } from './spec';

/**
 * What `workflow` is while required inputs `M` have no value: not a `Workflow`, so that
 * `client.run(handle.workflow)` does not compile until they are set (the error names them).
 */
export interface RequiredInputsUnset<M> {
  readonly _tag?: 'Workflow';
  readonly requiredInputsUnset?: M;
}

/** Run options whose sweep is keyed by the typed inputs' labels or indices. */
export type TypedRunOptions<S extends WorkflowSpec, V extends SweepValues<S> = SweepValues<S>> = Omit<RunOptions, 'sweep'> & {
  readonly sweep?: TypedSweep<S, V>;
};

/** A `completed` event (or an item result) with its outputs keyed by output node. */
export type WithOutputs<T, Out> = T extends { readonly type: 'completed' } ? T & { readonly byOutput: Out } : T;

/** What a handle's `submit` resolves to: the runner's result, each item with `byOutput`. */
export type TypedRunResult<R extends RunResult, Out> = Omit<R, 'items'> & {
  readonly items: ReadonlyArray<R['items'][number] & { readonly byOutput: Out }>;
};

/** Whatever runs workflows as streams: a client or a pool. */
export interface StreamRunner<Ev extends RunEvent> {
  readonly run: (wf: Workflow, options?: RunOptions) => Observable<Ev>;
}

/** Whatever runs workflows as Promises: a client or a pool. */
export interface PromiseRunner<R extends RunResult> {
  readonly submit: (wf: Workflow, options?: RunOptions) => Promise<R>;
}

/** The model identifier among the values an input takes (model inputs also take a name). */
export type ModelIdentifierOf<S extends WorkflowSpec, K> = Extract<InputValue<S, K>, { readonly key: string; readonly hash: string; readonly base: string; readonly type: string }>;

/** The keys of model inputs. */
export type ModelInputKey<S extends WorkflowSpec> = {
  [K in InputKey<S>]-?: [ModelIdentifierOf<S, K>] extends [never] ? never : K;
}[InputKey<S>];

/**
 * A workflow with typed inputs and outputs, made by a module that `invokeai-rx codegen` generated.
 * `M` are the required inputs still without a value: `workflow` (and so `run` and `submit`) is
 * only available once it is `never`. Every method returns a new handle; the value never changes.
 */
export interface TypedWorkflow<S extends WorkflowSpec, M extends keyof S['inputs'] = RequiredInputs<S>> {
  /** The value as it is now, runnable or not (for inspection). */
  readonly draft: Workflow;
  /** The same value, typed `Workflow` once every required input has one: pass it to `client.run`, `submit`, a pool. */
  readonly workflow: [M] extends [never] ? Workflow : RequiredInputsUnset<M>;
  /** The form's inputs with their current values (`listInputs`). */
  readonly inputs: readonly WorkflowInput[];
  /** Sets inputs by label or index; each value is checked as `setInput` checks it (throws `InputError`). */
  set<K extends InputKey<S>>(values: InputValues<S, K>): TypedWorkflow<S, Exclude<M, InputLabel<S, K>>>;
  /** The current value of an input, as the workflow holds it. */
  get<K extends InputKey<S>>(key: K): InputValue<S, K> | undefined;
  /** A sweep for `client.run(wf, { sweep })`: values per input by label or index (checked per item at enqueue). */
  sweep(values: SweepValues<S>, mode?: Sweep['mode']): Sweep;
  /** The models of a list (`models(client).list()`) that a model input accepts, as its identifiers. */
  modelsFor<K extends ModelInputKey<S>>(key: K, models: readonly ModelRecord[]): ReadonlyArray<ModelIdentifierOf<S, K>>;
  /** An item's outputs (`completed` event, `RunItemResult`) keyed by output node, each typed by what it gives. */
  outputs(item: { readonly outputs: readonly RunOutput[] }): S['outputs'];
  /** Applies an untyped edit (a `syncModels` result, `exposeInput` ...); throws `TypedWorkflowError` if it changes the typed form. */
  map(edit: (wf: Workflow) => Workflow): TypedWorkflow<S, M>;
  /** Checks at run time that the workflow can run (`validateWorkflow`) and types it so; throws `InputError` listing what is missing. */
  ready(): TypedWorkflow<S, never>;
  /** `runner.run(workflow, options)` with a typed sweep; `completed` events carry `byOutput`. */
  run<Ev extends RunEvent, V extends SweepValues<S> = {}>(
    this: TypedWorkflow<S, Extract<M, InputLabel<S, keyof NoInfer<V>>>>,
    runner: StreamRunner<Ev>,
    options?: TypedRunOptions<S, V>,
  ): Observable<WithOutputs<Ev, S['outputs']>>;
  /** `runner.submit(workflow, options)` with a typed sweep; each item carries `byOutput`. */
  submit<R extends RunResult, V extends SweepValues<S> = {}>(
    this: TypedWorkflow<S, Extract<M, InputLabel<S, keyof NoInfer<V>>>>,
    runner: PromiseRunner<R>,
    options?: TypedRunOptions<S, V>,
  ): Promise<TypedRunResult<R, S['outputs']>>;
}

const DIGITS = /^(0|[1-9][0-9]*)$/;

/** Key (label, or index as text) → form index, for the rows that take a value. */
const keyIndexOf = (table: WorkflowTable): ReadonlyMap<string, number> => {
  const index = new Map<string, number>();
  table.inputs.forEach(([key], i) => {
    if (key === null) return;
    index.set(key, i);
    index.set(String(i), i);
  });
  return index;
};

const regenerate = (table: WorkflowTable): string => `Regenerate the module (npx invokeai-rx codegen "${table.source}") or undo the edit.`;

/** Throws `TypedWorkflowError` unless the workflow's form and output nodes are the ones the types describe. */
const checkTable = (wf: Workflow, table: WorkflowTable): void => {
  const inputs = listInputs(wf);
  const describe = (i: WorkflowInput | undefined): string => (i === undefined ? 'missing' : `"${i.label}" (${i.nodeId}.${i.fieldName}, ${i.kind})`);
  table.inputs.forEach(([key, ref, kind], i) => {
    const input = inputs[i];
    if (input === undefined || `${input.nodeId}.${input.fieldName}` !== ref || input.kind !== kind) {
      throw new TypedWorkflowError(
        table.source,
        `The workflow no longer matches the types generated from "${table.source}": input #${i} is ${describe(input)} where the types expect ${key === null ? '' : `"${key}" `}(${ref}, ${kind}). ${regenerate(table)}`,
      );
    }
  });
  const outputNodes = new Set(listOutputs(wf).map((o) => o.nodeId));
  for (const [key, nodeId] of table.outputs) {
    if (!outputNodes.has(nodeId)) {
      throw new TypedWorkflowError(table.source, `The workflow no longer matches the types generated from "${table.source}": node ${nodeId} ("${key}") is no longer an output node. ${regenerate(table)}`);
    }
  }
};

/** The handle's methods without the compile-time state, which exists only in `TypedWorkflow`'s type. */
interface UntypedHandle {
  readonly draft: Workflow;
  readonly workflow: Workflow;
  readonly inputs: readonly WorkflowInput[];
  set(values: Readonly<Record<string, unknown>>): UntypedHandle;
  get(key: string | number): unknown;
  sweep(values: Readonly<Record<string, readonly unknown[]>>, mode?: Sweep['mode']): Sweep;
  modelsFor(key: string | number, models: readonly ModelRecord[]): readonly unknown[];
  outputs(item: { readonly outputs: readonly RunOutput[] }): unknown;
  map(edit: (wf: Workflow) => Workflow): UntypedHandle;
  ready(): UntypedHandle;
  run(runner: StreamRunner<RunEvent>, options?: Omit<RunOptions, 'sweep'> & { readonly sweep?: Sweep }): Observable<RunEvent>;
  submit(runner: PromiseRunner<RunResult>, options?: Omit<RunOptions, 'sweep'> & { readonly sweep?: Sweep }): Promise<RunResult>;
}

const handleOf = (wf: Workflow, table: WorkflowTable, keyIndex: ReadonlyMap<string, number>): UntypedHandle => {
  const keys = (): string => table.inputs.flatMap(([key]) => (key === null ? [] : [JSON.stringify(key)])).join(', ');
  /** Form index of each key, or the issues of the keys that name no typed input (or the same one twice). */
  const indicesOf = (given: readonly string[]): E.Either<readonly InputIssue[], ReadonlyMap<string, number>> => {
    const issues: InputIssue[] = [];
    const found = new Map<string, number>();
    const byIndex = new Map<number, string>();
    for (const key of given) {
      const i = keyIndex.get(key);
      if (i === undefined) {
        issues.push({ code: 'unknown-ref', ref: key, message: `${DIGITS.test(key) ? `#${key}` : JSON.stringify(key)} is not a settable input of "${table.source}"; its inputs are ${keys()}.` });
      } else if (byIndex.has(i)) {
        issues.push({ code: 'ambiguous-ref', ref: key, message: `${JSON.stringify(byIndex.get(i))} and ${JSON.stringify(key)} both name input #${i}; give it once.` });
      } else {
        byIndex.set(i, key);
        found.set(key, i);
      }
    }
    return issues.length > 0 ? E.left(issues) : E.right(found);
  };
  const indicesOrThrow = (given: readonly string[]): ReadonlyMap<string, number> => {
    const r = indicesOf(given);
    if (E.isLeft(r)) throw new InputError(r.left);
    return r.right;
  };
  const inputAt = (key: string | number): WorkflowInput => listInputs(wf)[indicesOrThrow([String(key)]).get(String(key))!];
  const toSweep = (values: Readonly<Record<string, readonly unknown[]>>, mode?: Sweep['mode']): Sweep => {
    const given = Object.keys(values);
    const indices = indicesOrThrow(given);
    return { values: Object.fromEntries(given.map((key) => [String(indices.get(key)), values[key]])), ...(mode !== undefined ? { mode } : {}) };
  };
  const runOptions = (options: (Omit<RunOptions, 'sweep'> & { readonly sweep?: Sweep }) | undefined): RunOptions | undefined =>
    options?.sweep === undefined ? options : { ...options, sweep: toSweep(options.sweep.values, options.sweep.mode) };
  const outputs = (item: { readonly outputs: readonly RunOutput[] }): unknown => {
    const described = new Map(listOutputs(wf).map((o) => [o.nodeId, o] as const));
    return Object.freeze(
      Object.fromEntries(
        table.outputs.map(([key, nodeId]) => {
          const made = item.outputs.find((o) => o.nodeId === nodeId);
          const node = described.get(nodeId);
          // A node that ran zero times (an empty iteration) still has its entry, with nothing in it.
          const empty: RunOutput = { nodeId: workflowNodeId(nodeId), nodeType: node?.nodeType ?? '', label: node?.label ?? key, boardId: null, images: [], videos: [], values: [] };
          return [key, made ?? empty];
        }),
      ),
    );
  };
  const handle: UntypedHandle = {
    draft: wf,
    workflow: wf,
    get inputs() {
      return listInputs(wf);
    },
    set: (values) => {
      // An optional key given `undefined` is left as it is (what a spread of optional options means).
      const given = Object.keys(values).filter((key) => values[key] !== undefined);
      const indices = indicesOrThrow(given);
      return handleOf(setInputs(Object.fromEntries(given.map((key) => [String(indices.get(key)), values[key]])))(wf), table, keyIndex);
    },
    get: (key) => inputAt(key).value,
    sweep: toSweep,
    modelsFor: (key, models) => {
      const input = inputAt(key);
      return input.kind !== 'model' ? [] : models.filter((m) => accepts(input.constraints, m)).map(toModelIdentifier);
    },
    outputs,
    map: (edit) => {
      const next = edit(wf);
      checkTable(next, table);
      return handleOf(next, table, keyIndex);
    },
    ready: () => {
      const valid = validateWorkflow(wf);
      if (E.isLeft(valid)) throw new InputError(valid.left);
      return handle;
    },
    run: (runner, options) =>
      runner.run(wf, runOptions(options)).pipe(map((event) => (event.type === 'completed' ? Object.freeze({ ...event, byOutput: outputs(event) }) : event))),
    submit: async (runner, options) => {
      const result = await runner.submit(wf, runOptions(options));
      return { ...result, items: result.items.map((item: RunItemResult) => Object.freeze({ ...item, byOutput: outputs(item) })) };
    },
  };
  return Object.freeze(handle);
};

/**
 * The typed handle of a generated module: checks that the workflow's form inputs and output nodes
 * are the ones the table (and so the types) describe, and throws `TypedWorkflowError` otherwise.
 * Generated modules call it; the types `S` and `M` are the generator's, checked by that table.
 *
 * @example
 * ```ts
 * import { typedWorkflow, Workflow, type TypedWorkflow } from 'invokeai-rx';
 * interface Fox { inputs: { Prompt?: string }; inputsByIndex: { 0?: string }; labels: { 0: 'Prompt' }; outputs: {} }
 * declare const json: unknown;
 * const fox: TypedWorkflow<Fox, never> = typedWorkflow<Fox, never>(Workflow.fromObject(json), {
 *   source: 'fox.json',
 *   inputs: [['Prompt', 'prompt_node.prompt', 'string']],
 *   outputs: [],
 * });
 * ```
 */
export const typedWorkflow = <S extends WorkflowSpec, M extends keyof S['inputs'] = RequiredInputs<S>>(workflow: Workflow, table: WorkflowTable): TypedWorkflow<S, M> => {
  checkTable(workflow, table);
  // The only assertion: the compile-time state (S, M) is the generator's promise, and the table
  // just checked is what keeps it true of this value.
  return handleOf(workflow, table, keyIndexOf(table)) as unknown as TypedWorkflow<S, M>;
};
