// Speed learning, as pure functions: a server's time per item of a workflow, learned from the items
// it completes (the first one a warm-up), and the relative speeds that weigh dispatch and sweep
// shares, the median server counting 1.
import type { Workflow } from '../workflow/workflow';

/** A server's learned time per item for one workflow. */
export interface LearnedSpeed {
  /** Completed items seen, the warm-up included. */
  readonly samples: number;
  /** The moving average of their durations; `undefined` until one item after the warm-up. */
  readonly msPerItem: number | undefined;
}

const workflowKeys = new WeakMap<Workflow, string>();

/** What the pool learns speeds by: the workflow's id, else its name (items of one workflow cost alike). Worked out once per value. */
export const workflowKeyOf = (wf: Workflow): string => {
  let key = workflowKeys.get(wf);
  if (key === undefined) {
    key = wf.json.id !== undefined && wf.json.id !== '' ? wf.json.id : wf.json.name !== '' ? wf.json.name : 'workflow';
    workflowKeys.set(wf, key);
  }
  return key;
};

/** How much a new item's duration moves a server's learned time per item (exponential moving average). */
const SPEED_SMOOTHING = 0.3;

/** A server's time per item after one more item took `sampleMs` (the first sample is taken as is). */
export const nextMsPerItem = (previous: number | undefined, sampleMs: number): number =>
  previous === undefined ? sampleMs : SPEED_SMOOTHING * sampleMs + (1 - SPEED_SMOOTHING) * previous;

/**
 * Relative speeds from learned times per item: the median server counts 1, one twice as fast 2
 * (bounded to 1/20..20, so one odd item cannot starve a server). A server not measured yet, or a
 * pool with fewer than two measured servers, counts 1.
 *
 * @example
 * learnedWeights([100, 400, undefined]); // [2.5, 0.625, 1]
 * @internal
 */
export const learnedWeights = (msPerItem: ReadonlyArray<number | undefined>): number[] => {
  const known = msPerItem.filter((ms): ms is number => ms !== undefined && Number.isFinite(ms) && ms > 0).sort((a, b) => a - b);
  if (known.length < 2) return msPerItem.map(() => 1);
  const mid = Math.floor(known.length / 2);
  const median = known.length % 2 === 1 ? known[mid] : (known[mid - 1] + known[mid]) / 2;
  return msPerItem.map((ms) => (ms === undefined || !Number.isFinite(ms) || ms <= 0 ? 1 : Math.min(20, Math.max(1 / 20, median / ms))));
};

/**
 * What a server knows of a workflow after one more of its items completed in `durationMs`. The first
 * item of a workflow on a server may include loading its models: a warm-up, counted but not measured.
 */
export const learnItem = (known: LearnedSpeed | undefined, durationMs: number): LearnedSpeed => {
  const samples = known?.samples ?? 0;
  return { samples: samples + 1, msPerItem: samples === 0 ? undefined : nextMsPerItem(known?.msPerItem, durationMs) };
};

/** What weighs one server for a workflow: the weight its user gave, or what it has learned. */
export interface SpeedInput {
  readonly weight: number | undefined;
  readonly msPerItem: number | undefined;
}

/**
 * Each server's relative speed for one workflow: the weight given, else its learned speed among the
 * servers given none (`learnedWeights`); 1 for all of those when learning is off.
 *
 * @example
 * speedWeights([{ weight: 3, msPerItem: undefined }, { weight: undefined, msPerItem: 100 }, { weight: undefined, msPerItem: 400 }], true); // [3, 2.5, 0.625]
 * @internal
 */
export const speedWeights = (servers: ReadonlyArray<SpeedInput>, learn: boolean): number[] => {
  const unweighted = servers.flatMap((s, i) => (s.weight === undefined ? [i] : []));
  const learned = learn ? learnedWeights(unweighted.map((i) => servers[i].msPerItem)) : unweighted.map(() => 1);
  const weights = servers.map((s) => s.weight ?? 1);
  unweighted.forEach((i, k) => (weights[i] = learned[k] ?? 1));
  return weights;
};
