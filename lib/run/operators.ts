// Small RxJS operators over a run's events, for consumers of `client.run`.
import { filter, lastValueFrom, mergeMap, Observable, OperatorFunction, toArray } from 'rxjs';
import type { NodeProgressEvent, RunEvent, RunEventType, RunOutput } from './events';

/**
 * Keeps the events of the given types, typed as those members of `RunEvent`.
 *
 * @example
 * import { ofType } from 'invokeai-rx';
 * client.run(wf).pipe(ofType('node_progress')).subscribe((p) => console.log(p.percentage));
 * client.run(wf).pipe(ofType('completed', 'failed')).subscribe((end) => console.log(end.itemId, end.type));
 */
export const ofType = <K extends RunEventType, E extends RunEvent = RunEvent>(...types: readonly K[]): OperatorFunction<E, Extract<E, { type: K }>> =>
  // Generic in the event type so that wider events (a pool's, with their `server`) keep their fields.
  filter((event: E): event is Extract<E, { type: K }> => (types as readonly RunEventType[]).includes(event.type));

/**
 * The progress of one workflow node (every prepared copy of it), optionally of one item only.
 *
 * @example
 * import { progressOf } from 'invokeai-rx';
 * client.run(wf).pipe(progressOf('denoise_latents')).subscribe((p) => console.log(`${Math.round((p.percentage ?? 0) * 100)}%`));
 */
export const progressOf = (nodeId: string, itemId?: number): OperatorFunction<RunEvent, NodeProgressEvent> => (source) =>
  source.pipe(
    ofType('node_progress'),
    filter((event) => event.nodeId === nodeId && (itemId === undefined || event.itemId === itemId)),
  );

/**
 * The authoritative outputs of a run: those of each `completed` item, as each item completes
 * (a failed or canceled item contributes none). Use `ofType('output')` for the early, per-node ones.
 *
 * @example
 * import { outputsOf } from 'invokeai-rx';
 * outputsOf(client.run(wf)).subscribe((o) => console.log(o.nodeId, o.images.map((i) => i.imageName)));
 */
export const outputsOf = (run$: Observable<RunEvent>): Observable<RunOutput> =>
  run$.pipe(
    ofType('completed'),
    mergeMap((event) => event.outputs),
  );

/**
 * Runs to the end and resolves with every output of every completed item; rejects where the run
 * errors (item failures do not reject).
 *
 * @example
 * import { collectOutputs } from 'invokeai-rx';
 * const outputs = await collectOutputs(client.run(wf));
 */
export const collectOutputs = (run$: Observable<RunEvent>): Promise<readonly RunOutput[]> =>
  lastValueFrom(outputsOf(run$).pipe(toArray()));
