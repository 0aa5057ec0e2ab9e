// Runs taken as a whole: many at once as one stream (`runMany`, `fanOutRuns`), and one as a
// Promise of its result (`settleRun`). The client's and the pool's versions share them.
import { Observable, from, map, mergeMap } from 'rxjs';
import type { Workflow } from '../workflow/workflow';
import type { RunEvent } from './events';
import type { RunManyEvent, RunManyOptions, RunOptions, RunRequest } from './options';

const DEFAULT_CONCURRENCY = 4;

/**
 * A run stream that hands its result to `onResult` just before completing, as a Promise of that
 * result; it rejects where the stream errors. Shared by the client's and the pool's `submit`.
 *
 * @example
 * import { tap } from 'rxjs';
 * let events = 0;
 * const count = await settleRun<number>((onResult) => client.run(wf).pipe(tap({ next: () => events++, complete: () => onResult(events) })));
 * @internal
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

/** Whether an input of `runMany` is a `RunRequest` (a `Workflow` value has a `_tag`). */
export const isRunRequest = (input: Workflow | RunRequest): input is RunRequest => !('_tag' in input) && 'workflow' in input;

/**
 * Runs each workflow with `runOne` (the options of the call under those of its request), at most
 * `concurrency` at once (else `defaultConcurrency`), tagging every event with the workflow's index.
 * Shared by the client's and the pool's `runMany`.
 *
 * @example
 * fanOutRuns([wf, wf], { concurrency: 2 }, 4, (w, options) => client.run(w, options)).subscribe(({ index, event }) => console.log(index, event.type));
 * @internal
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
 * Runs many workflows with `run` (the client's), at most `concurrency` at once (default 4), as one
 * stream of their events tagged with the workflow's index. A run that errors errors the whole
 * stream (the others are canceled).
 *
 * @example
 * runMany((w, options) => client.run(w, options), [wf, wf], { concurrency: 2 }).subscribe(({ index, event }) => console.log(index, event.type));
 * @internal
 */
export const runMany = (
  run: (wf: Workflow, options: RunOptions) => Observable<RunEvent>,
  workflows: Iterable<Workflow | RunRequest>,
  options: RunManyOptions = {},
): Observable<RunManyEvent> => fanOutRuns(workflows, options, DEFAULT_CONCURRENCY, run);
