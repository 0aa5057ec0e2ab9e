// Saving a streamed run's outputs as its items complete, rather than after the whole run.
import { OperatorFunction, concatMap, filter } from 'rxjs';
import type { CompletedEvent, RunEvent } from '../run/events';
import { saveOutputs, type SaveOutputsOptions } from './files';

/** The files one completed item's outputs were saved to. */
export interface SavedOutputs {
  readonly itemId: number;
  readonly files: ReadonlyArray<string>;
  /** The item's `completed` event. */
  readonly completed: CompletedEvent;
}

/**
 * Saves each item's images and videos into `dir` as its `completed` event arrives (one item after
 * another, in the order they complete) and emits the files of each; the run's other events are not
 * passed on. A failed save errors the stream with `SaveOutputsError`, as `saveOutputs` does. With a
 * pool, give a function that picks the client of the event's server.
 *
 * @example
 * import { saveEachCompleted } from 'invokeai-rx/node';
 * client.run(wf, { runs: 4 }).pipe(saveEachCompleted(client, './out')).subscribe((s) => console.log(s.itemId, s.files));
 */
export const saveEachCompleted = <E extends RunEvent>(
  client: Parameters<typeof saveOutputs>[0] | ((completed: Extract<E, CompletedEvent>) => Parameters<typeof saveOutputs>[0]),
  dir: string,
  options?: SaveOutputsOptions,
): OperatorFunction<E, SavedOutputs> =>
  (events) =>
    events.pipe(
      filter((e): e is Extract<E, CompletedEvent> => e.type === 'completed'),
      concatMap(async (completed) => ({
        itemId: completed.itemId,
        files: await saveOutputs(typeof client === 'function' ? client(completed) : client, completed, dir, options),
        completed,
      })),
    );
