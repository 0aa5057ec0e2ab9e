// What a producer puts in a run job: the workflow, input values and run options, as JSON. Decoded
// at the edge: job data comes from Redis, where anything may have written it.
import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { Workflow, setInputs, type LoadOptions, type RunOptions } from '../index';

/** The run options a job may carry (the worker chooses the batch id: the job's key). */
export type JobRunOptions = Pick<RunOptions, 'runs' | 'sweep' | 'origin' | 'destination' | 'prepend' | 'timeoutMs' | 'autoAddBoardId'>;

/** The data of a run job: a workflow (GUI JSON), the values to set, and run options. */
export interface RunJobData {
  /** The workflow as exported by InvokeAI or `Workflow.toObject`. */
  readonly workflow: unknown;
  /** Input values by ref, as `setInputs` takes them. */
  readonly inputs?: Readonly<Record<string, unknown>>;
  readonly options?: JobRunOptions;
}

/** What a worker runs for one job: a workflow with its values set, and run options. */
export interface JobRun {
  readonly workflow: Workflow;
  readonly options?: JobRunOptions;
}

const SweepCodec = t.intersection([t.type({ values: t.record(t.string, t.array(t.unknown)) }), t.partial({ mode: t.keyof({ product: null, zip: null }) })]);
const OptionsCodec = t.partial({
  runs: t.number,
  sweep: SweepCodec,
  origin: t.string,
  destination: t.string,
  prepend: t.boolean,
  timeoutMs: t.number,
  autoAddBoardId: t.string,
});
const DataCodec = t.intersection([t.type({ workflow: t.UnknownRecord }), t.partial({ inputs: t.UnknownRecord, options: OptionsCodec })]);

const kindOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

/** A short account of where job data does not decode: the paths, what each should be, what it is. */
const describeIssues = (data: unknown, errors: t.Errors): string => {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return `expected an object, got ${kindOf(data)}`;
  const lines = errors.map((e) => {
    // Intersections add index keys ('0', '1') that are not in the data.
    const path = e.context
      .filter((c, i) => i > 0 && !(/^\d+$/.test(c.key) && e.context[i - 1]?.type instanceof t.IntersectionType))
      .map((c) => c.key)
      .join('.');
    const expected = e.context[e.context.length - 1]?.type.name ?? 'a value';
    return `${path}: expected ${expected.length > 40 ? 'another shape' : expected}, got ${kindOf(e.value)}`;
  });
  return [...new Set(lines)].slice(0, 5).join('; ');
};

/**
 * Job data for a run of `wf` (what a producer adds to the queue).
 *
 * @example
 * import { Queue } from 'bullmq';
 * import { runJobData } from 'invokeai-rx/bullmq';
 * const queue = new Queue('images', { connection: { host: '127.0.0.1', port: 6379 } });
 * await queue.add('txt2img', runJobData(wf, { inputs: { 'Positive Prompt': 'a lighthouse' } }));
 */
export const runJobData = (wf: Workflow, extra: { readonly inputs?: Readonly<Record<string, unknown>>; readonly options?: JobRunOptions } = {}): RunJobData => ({
  workflow: Workflow.toObject(wf),
  ...(extra.inputs !== undefined ? { inputs: extra.inputs } : {}),
  ...(extra.options !== undefined ? { options: extra.options } : {}),
});

/** The run a job's data describes; throws `TypeError`, `WorkflowDecodeError` or `InputError` saying what is wrong. */
export const decodeRunJobData = (data: unknown, load?: LoadOptions): JobRun => {
  const decoded = DataCodec.decode(data);
  if (E.isLeft(decoded)) throw new TypeError(`the job data is not { workflow, inputs?, options? } (${describeIssues(data, decoded.left)})`);
  const { workflow, inputs, options } = decoded.right;
  const loaded = Workflow.fromObject(workflow, load);
  return { workflow: inputs === undefined ? loaded : setInputs(inputs)(loaded), ...(options !== undefined ? { options: options as JobRunOptions } : {}) };
};
