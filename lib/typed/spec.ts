// What a generated module tells the typed handle about its workflow: at the type level (the
// inputs' value types by label and by index, the output nodes by label) and as a small table the
// handle checks against the loaded workflow, so that types and value cannot silently drift apart.
import type { Sweep } from '../workflow/batch';
import type { FieldKind } from '../workflow/types';

/**
 * The types a generated module declares for one workflow. In `inputs` and `inputsByIndex`, a key
 * without `?` is an input that is required and has no value yet: it must be set before a run.
 */
export interface WorkflowSpec {
  /** Value type of each settable input, by label (or `nodeLabel.fieldName` where labels repeat). */
  readonly inputs: object;
  /** The same inputs by form index. */
  readonly inputsByIndex: object;
  /** Form index → the key of that input in `inputs`. */
  readonly labels: object;
  /** What each output node gives in one item, by node label (or node id where labels repeat). */
  readonly outputs: object;
}

/** The keys `set`, `get` and sweeps take: labels and form indices. */
export type InputKey<S extends WorkflowSpec> = keyof S['inputs'] | keyof S['inputsByIndex'];

/** The value type of the input a key names. */
export type InputValue<S extends WorkflowSpec, K> = K extends keyof S['inputs']
  ? NonNullable<S['inputs'][K]>
  : K extends keyof S['inputsByIndex']
    ? NonNullable<S['inputsByIndex'][K]>
    : never;

/** The label key of the input a key names (an index is mapped through `labels`). */
export type InputLabel<S extends WorkflowSpec, K> = K extends keyof S['inputs'] ? K : K extends keyof S['labels'] ? S['labels'][K] : never;

/** The keys of `inputs` that are required and unset (those without `?`). */
export type RequiredInputs<S extends WorkflowSpec> = {
  [K in keyof S['inputs']]-?: {} extends Pick<S['inputs'], K> ? never : K;
}[keyof S['inputs']];

/** Values to set: any of the inputs, by label or index, each with its own type. */
export type InputValues<S extends WorkflowSpec, K extends InputKey<S> = InputKey<S>> = Pick<S['inputs'] & S['inputsByIndex'], K>;

/** Values to sweep, by label or index: each a list of what the input takes. */
export type SweepValues<S extends WorkflowSpec> = { readonly [K in InputKey<S>]?: readonly InputValue<S, K>[] };

/** A sweep over typed inputs; `values` are checked at compile time and, item by item, at run time. */
export interface TypedSweep<S extends WorkflowSpec, V extends SweepValues<S> = SweepValues<S>> extends Omit<Sweep, 'values'> {
  readonly values: V;
}

/**
 * The one row per form input that a generated module embeds, in form order: the key its types use
 * (`null` for an input that takes no value: fed by an edge, or connection-only), its
 * `nodeId.fieldName`, and its kind.
 */
export type InputRow = readonly [key: string | null, ref: string, kind: FieldKind];

/** One output node of a generated module: its key in `outputs` and its node id. */
export type OutputRow = readonly [key: string, nodeId: string];

/** The table a generated module passes to `typedWorkflow`, checked against the workflow it loads. */
export interface WorkflowTable {
  /** The file the module was generated from, named in errors that ask to regenerate it. */
  readonly source: string;
  readonly inputs: readonly InputRow[];
  readonly outputs: readonly OutputRow[];
}
