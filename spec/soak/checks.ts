// The soak's checks of one finished run against the server's final records. Pure: the caller
// fetches the records; these functions only count and describe what is wrong.
import type { RunEvent } from '../../lib/run/events';

/** How a run stream ended. */
export type RunEnd =
  | { readonly type: 'complete' }
  | { readonly type: 'error'; readonly name: string; readonly message: string }
  /** Still open past its timeout plus grace: the soak gave up on it. */
  | { readonly type: 'hung' };

/** One run of the soak, as observed. */
export interface RunRecord {
  readonly index: number;
  readonly kind: 'single' | 'sweep' | 'concurrent';
  readonly workflow: string;
  readonly events: readonly RunEvent[];
  readonly end: RunEnd;
  /** Whether a queue clear was injected while the run was open (it deletes finished items too). */
  readonly clearedDuringRun: boolean;
}

/** A queue item as the server serves it (loose: a test's decode boundary). */
export type ServerItem = Readonly<Record<string, unknown>>;

/** Every count the soak prints. */
export interface SoakCounts {
  runs: number;
  runsCompleted: number;
  runsErrored: number;
  runsHung: number;
  items: number;
  itemsCompleted: number;
  itemsFailed: number;
  itemsCanceled: number;
  itemsUnfinishedInErroredRuns: number;
  itemsWithoutTerminal: number;
  itemsWithSeveralTerminals: number;
  eventsAfterTerminal: number;
  eventsOfForeignItems: number;
  terminalAgreeing: number;
  terminalDisagreeing: number;
  itemsGoneFromServer: number;
  /** Completed items a queue clear deleted before their record could be read (outputs not checked). */
  completedGoneFromServer: number;
  completedOutputsChecked: number;
  outputsMismatched: number;
  imageBytesChecked: number;
  imageBytesMismatched: number;
}

/** All counts at zero. */
export const emptyCounts = (): SoakCounts => ({
  runs: 0,
  runsCompleted: 0,
  runsErrored: 0,
  runsHung: 0,
  items: 0,
  itemsCompleted: 0,
  itemsFailed: 0,
  itemsCanceled: 0,
  itemsUnfinishedInErroredRuns: 0,
  itemsWithoutTerminal: 0,
  itemsWithSeveralTerminals: 0,
  eventsAfterTerminal: 0,
  eventsOfForeignItems: 0,
  terminalAgreeing: 0,
  terminalDisagreeing: 0,
  itemsGoneFromServer: 0,
  completedGoneFromServer: 0,
  completedOutputsChecked: 0,
  outputsMismatched: 0,
  imageBytesChecked: 0,
  imageBytesMismatched: 0,
});

/** The counts that are violations when not zero. */
export const VIOLATION_COUNTS: ReadonlyArray<keyof SoakCounts> = [
  'runsHung',
  'itemsWithoutTerminal',
  'itemsWithSeveralTerminals',
  'eventsAfterTerminal',
  'eventsOfForeignItems',
  'terminalDisagreeing',
  'outputsMismatched',
  'imageBytesMismatched',
];

/** Errors a run may end with under faults (the run as a whole could not go on); others are bugs. */
export const ACCEPTED_RUN_ERRORS: ReadonlySet<string> = new Set(['RunTimeoutError', 'ConnectionLostError', 'HttpError', 'NetworkError']);

const TERMINAL = new Set(['completed', 'failed', 'canceled']);

const isObject = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Image names of one node result: every top-level `{image_name}` or list of them, in field order. */
const imageNames = (result: unknown): string[] => {
  if (!isObject(result)) return [];
  const names: string[] = [];
  for (const value of Object.values(result)) {
    for (const candidate of Array.isArray(value) ? value : [value]) {
      if (isObject(candidate) && typeof candidate.image_name === 'string') names.push(candidate.image_name);
    }
  }
  return names;
};

/** The server's images of one workflow node in a completed item, over its prepared copies. */
export const serverImagesOf = (item: ServerItem, nodeId: string): string[] => {
  const session = isObject(item.session) ? item.session : {};
  const mapping = isObject(session.source_prepared_mapping) ? session.source_prepared_mapping : {};
  const results = isObject(session.results) ? session.results : {};
  const prepared = Array.isArray(mapping[nodeId]) ? (mapping[nodeId] as unknown[]) : [];
  return prepared.flatMap((id) => (typeof id === 'string' ? imageNames(results[id]) : []));
};

/** The item ids a run's events name, with its terminal events. */
const itemIdsOf = (events: readonly RunEvent[]): number[] => {
  const enqueued = events.find((e) => e.type === 'enqueued');
  return enqueued?.type === 'enqueued' ? [...enqueued.itemIds] : [];
};

/**
 * Checks one run: every item has exactly one terminal event (when the stream completed), nothing
 * of an item follows its terminal event, no event names an item outside the batch, each terminal
 * event agrees with the server's final record, and a completed item's outputs name exactly the
 * images the server recorded for those nodes. `outputNodes` are the workflow's output node ids.
 * Adds to `counts`; returns a description of each violation.
 */
export const checkRun = (
  run: RunRecord,
  serverItems: ReadonlyMap<number, ServerItem | null>,
  outputNodes: ReadonlySet<string>,
  counts: SoakCounts,
): string[] => {
  const problems: string[] = [];
  const where = `run ${run.index} (${run.kind}, ${run.workflow})`;
  counts.runs += 1;
  if (run.end.type === 'complete') counts.runsCompleted += 1;
  else if (run.end.type === 'hung') {
    counts.runsHung += 1;
    problems.push(`${where}: still open past its timeout`);
  } else {
    counts.runsErrored += 1;
    if (!ACCEPTED_RUN_ERRORS.has(run.end.name)) problems.push(`${where}: errored with ${run.end.name}: ${run.end.message}`);
  }
  const ids = itemIdsOf(run.events);
  const inBatch = new Set(ids);
  counts.items += ids.length;
  const terminals = new Map<number, RunEvent[]>();
  for (const event of run.events) {
    if (event.type === 'enqueued') continue;
    if (!inBatch.has(event.itemId)) {
      counts.eventsOfForeignItems += 1;
      problems.push(`${where}: ${event.type} of item ${event.itemId}, which is not in the batch`);
      continue;
    }
    const seen = terminals.get(event.itemId) ?? [];
    if (seen.length > 0) {
      counts.eventsAfterTerminal += 1;
      problems.push(`${where}: ${event.type} of item ${event.itemId} after its ${seen[0].type}`);
    }
    if (TERMINAL.has(event.type)) {
      if (seen.length === 1) counts.itemsWithSeveralTerminals += 1;
      terminals.set(event.itemId, [...seen, event]);
    }
  }
  for (const id of ids) {
    const ends = terminals.get(id) ?? [];
    if (ends.length === 0) {
      if (run.end.type === 'complete') {
        counts.itemsWithoutTerminal += 1;
        problems.push(`${where}: item ${id} has no terminal event`);
      } else counts.itemsUnfinishedInErroredRuns += 1;
      continue;
    }
    const end = ends[0];
    if (end.type === 'completed') counts.itemsCompleted += 1;
    else if (end.type === 'failed') counts.itemsFailed += 1;
    else counts.itemsCanceled += 1;
    const record = serverItems.get(id) ?? null;
    if (record === null) {
      // Deleted by a queue clear: an item still open then must end canceled (or failed); one that
      // had completed before the clear may say completed, but only if a clear happened at all.
      counts.itemsGoneFromServer += 1;
      if (end.type === 'completed' && !run.clearedDuringRun) {
        counts.terminalDisagreeing += 1;
        problems.push(`${where}: item ${id} reported completed but the server has no such item (and nobody cleared the queue)`);
      } else {
        counts.terminalAgreeing += 1;
        if (end.type === 'completed') counts.completedGoneFromServer += 1;
      }
      continue;
    }
    if (record.status !== end.type) {
      counts.terminalDisagreeing += 1;
      const why = end.type === 'canceled' && end.reason ? ` (reason: ${end.reason})` : end.type === 'failed' ? ` (${end.error.type}: ${end.error.message})` : '';
      problems.push(`${where}: item ${id} ended ${end.type}${why} but the server says ${String(record.status)}`);
      continue;
    }
    counts.terminalAgreeing += 1;
    if (end.type !== 'completed') continue;
    counts.completedOutputsChecked += 1;
    const reported = new Map<string, string[]>(end.outputs.map((o) => [o.nodeId, o.images.map((i) => i.imageName)]));
    for (const nodeId of outputNodes) {
      const expected = serverImagesOf(record, nodeId);
      const got = reported.get(nodeId) ?? [];
      if (expected.length === 0 && got.length === 0) continue;
      if (JSON.stringify(expected) !== JSON.stringify(got)) {
        counts.outputsMismatched += 1;
        problems.push(`${where}: item ${id} output ${nodeId}: reported [${got.join(', ')}], the server recorded [${expected.join(', ')}]`);
      }
    }
  }
  return problems;
};
