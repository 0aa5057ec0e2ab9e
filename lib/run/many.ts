// Runs taken as a whole: many at once as one stream (`runMany`, `fanOutRuns`), and one as a
// Promise of its result (`submitWorkflow`, `settleRun`). The client's and the pool's versions share
// `fanOutRuns` and `settleRun`.
import { Observable, from, map, mergeMap } from 'rxjs';
import type { ClientContext } from '../transport/context';
import type { Workflow } from '../workflow/types';
import type { RunResult } from './events';
import type { RunManyEvent, RunManyOptions, RunOptions, RunRequest } from './options';
import { runPipeline, runWorkflow } from './run';

const DEFAULT_CONCURRENCY = 4;

/**
 * A run stream that hands its result to `onResult` just before completing, as a Promise of that
 * result; it rejects where the stream errors. Shared by the client's and the pool's `submit`.
 *
 * @example
 * const result = await settleRun((onResult) => runPipeline(context, wf, {}, onResult));
 */
export const settleRun = <R>(start: (onResult: (result: R) => void) => Observable<unknown>, empty?: R): Promise<R> =>
  new Promise<R>((resolve, reject) => {
    let result = empty;
    start((settled) => {
      result = settled;
    }).subscribe({
      error: reject,
      complete: () => (result === undefined ? reject(new Error('The run completed without handing over its result.')) : resolve(result)),
    });
  });

/**
 * Runs a workflow to the end: resolves with every item's outcome (item failures are results, not
 * rejections); rejects only where `runWorkflow` errors.
 *
 * @example
 * const result = await client.submit(wf);
 * for (const item of result.items) console.log(item.itemId, item.status, item.outputs);
 */
export const submitWorkflow = (context: ClientContext, wf: Workflow, options: RunOptions = {}): Promise<RunResult> =>
  settleRun<RunResult>((onResult) => runPipeline(context, wf, options, onResult));

/** Whether an input of `runMany` is a `RunRequest` (a `Workflow` value has a `_tag`). */
export const isRunRequest = (input: Workflow | RunRequest): input is RunRequest => !('_tag' in input) && 'workflow' in input;

/**
 * Runs each workflow with `runOne` (the options of the call under those of its request), at most
 * `concurrency` at once (else `defaultConcurrency`), tagging every event with the workflow's index.
 * Shared by the client's and the pool's `runMany`.
 *
 * @example
 * fanOutRuns(workflows, { concurrency: 2 }, 4, (wf, options) => runWorkflow(context, wf, options));
 */
export const fanOutRuns = <E>(
  workflows: Iterable<Workflow | RunRequest>,
  options: RunManyOptions,
  defaultConcurrency: number,
  runOne: (wf: Workflow, options: RunOptions) => Observable<E>,
): Observable<{ readonly index: number; readonly event: E }> => {
  const { concurrency, ...shared } = options;
  return from(workflows).pipe(
    mergeMap((input, index) => {
      const request: RunRequest = isRunRequest(input) ? input : { workflow: input };
      return runOne(request.workflow, { ...shared, ...(request.options ?? {}) }).pipe(map((event) => ({ index, event })));
    }, Math.max(1, concurrency ?? defaultConcurrency)),
  );
};

/**
 * Runs many workflows, at most `concurrency` at once, as one stream of their events tagged with
 * the workflow's index. A run that errors errors the whole stream (the others are canceled).
 *
 * @example
 * client.runMany(workflows, { concurrency: 2 }).subscribe(({ index, event }) => console.log(index, event.type));
 */
export const runMany = (context: ClientContext, workflows: Iterable<Workflow | RunRequest>, options: RunManyOptions = {}): Observable<RunManyEvent> =>
  fanOutRuns(workflows, options, DEFAULT_CONCURRENCY, (wf, runOptions) => runWorkflow(context, wf, runOptions));
