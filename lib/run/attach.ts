// Following a batch that was enqueued earlier, by this process or another: `client.attach`. The run
// pipeline follows it as it follows its own (one terminal event per item; items that had ended end
// at once with their outputs), mapping outputs by the workflow stored with the batch's items, or by
// the one given.
import * as E from 'fp-ts/Either';
import { Observable, defer, switchMap } from 'rxjs';
import type { ClientContext } from '../transport/context';
import { queueEndpoints } from '../transport/queue-endpoints';
import { BatchId } from '../protocol/ids';
import { listOutputs } from '../workflow/outputs';
import { Workflow } from '../workflow/workflow';
import { locateBatch } from './enqueue';
import { AttachError } from './errors';
import type { RunEvent, RunResult } from './events';
import type { AttachOptions } from './options';
import { runPipeline, type AttachPlan } from './run';

/** What attaching needs before the run starts: the batch's items, and the outputs they are mapped by. */
const planAttach = async (context: ClientContext, batchId: BatchId, options: AttachOptions): Promise<AttachPlan> => {
  const endpoints = queueEndpoints(context.queueId);
  const located = await locateBatch(context, batchId);
  if (located === null || located.itemIds.length === 0) throw new AttachError(batchId, 'not_found');
  if (options.workflow !== undefined) return { batchId, outputs: listOutputs(options.workflow), located };
  // Every item of a batch carries the batch's workflow (the GUI's JSON, without its id).
  const item = await context.http.request(endpoints.item(located.itemIds[0]!));
  if (item.workflow === null || item.workflow === undefined) throw new AttachError(batchId, 'no_workflow');
  const decoded = Workflow.decode(item.workflow, options.load);
  if (E.isLeft(decoded)) throw new AttachError(batchId, 'no_workflow', decoded.left);
  return { batchId, outputs: listOutputs(decoded.right), located };
};

/**
 * Follows a batch enqueued earlier: the events of a run (the `enqueued` event has `attached: true`)
 * until every item has ended. Unsubscribing before the end cancels what is left, unless
 * `cancelOnUnsubscribe: false`. Errors with `AttachError` when the server has no such batch.
 * @internal
 */
export const attachPipeline = (context: ClientContext, batchId: string, options: AttachOptions = {}, onResult?: (result: RunResult) => void): Observable<RunEvent> =>
  defer(() => {
    if (!BatchId.is(batchId)) throw new TypeError('attach: the batch id must be a non-empty string.');
    return planAttach(context, batchId, options);
  }).pipe(
    switchMap((plan) => {
      const { workflow: _workflow, load: _load, ...runOptions } = options;
      return runPipeline(context, null, runOptions, onResult, plan);
    }),
  );
