// A run's items as the pool splits and resends them: a sweep (and `runs`) expanded into its items in
// the order the server makes queue items of them, and any subset of those items as the run options
// that enqueue exactly them, again in that order (a zipped sweep).
import { batchNodeData, type Sweep } from '../workflow/batch';
import type { Workflow } from '../workflow/workflow';

/** The values of one item of a sweep, by input ref. */
export type SweepItem = Readonly<Record<string, unknown>>;

/**
 * The items a sweep and `runs` make, in the order the server makes queue items of them: `runs`
 * outermost, then the product of the sweep's lists, the first ref outermost (`zip`: one list).
 * Without a sweep: `runs` empty items.
 */
export const expandSweep = (sweep: Sweep | undefined, runs = 1): SweepItem[] => {
  const entries = Object.entries(sweep?.values ?? {});
  let combos: SweepItem[] = [{}];
  if (entries.length > 0) {
    if (sweep?.mode === 'zip') {
      const length = Math.min(...entries.map(([, values]) => values.length));
      combos = Array.from({ length }, (_, i) => Object.fromEntries(entries.map(([ref, values]) => [ref, values[i]])));
    } else {
      for (const [ref, values] of entries) combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [ref]: value })));
    }
  }
  const items: SweepItem[] = [];
  for (let r = 0; r < runs; r++) items.push(...combos);
  return items;
};

/** Some items of an expanded sweep, as the run options that enqueue exactly them, in this order. */
export const itemsAsRun = (items: ReadonlyArray<SweepItem>): { readonly sweep?: Sweep; readonly runs: number } => {
  const refs = Object.keys(items[0] ?? {});
  if (refs.length === 0) return { runs: items.length };
  return { runs: 1, sweep: { mode: 'zip', values: Object.fromEntries(refs.map((ref) => [ref, items.map((item) => item[ref])])) } };
};

const batchNodeUse = new WeakMap<Workflow, boolean>();

/** Whether the workflow has batch nodes (its items are then never split or requeued). Worked out once per value. */
export const hasBatchNodes = (wf: Workflow): boolean => {
  let has = batchNodeUse.get(wf);
  if (has === undefined) {
    has = batchNodeData(wf).length > 0;
    batchNodeUse.set(wf, has);
  }
  return has;
};
