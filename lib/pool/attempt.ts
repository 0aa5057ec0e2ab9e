// A run's batches (`Attempt`s) as records: making one, the run options that enqueue exactly its
// items, how many of its items are still open, and how one of its items ended.
import type { RunEvent } from '../run/events';
import type { RunOptions } from '../run/run';
import type { PoolRunItemResult, PoolServerRef, RetryRef } from './events';
import type { Attempt, Member, RunHandle } from './state';
import { expandSweep, hasBatchNodes, type SweepItem } from './sweep';

/** A new batch of the run, not yet on a server; the run counts it from now on. */
export const newAttempt = (
  handle: RunHandle,
  init: Pick<Attempt, 'part' | 'positions' | 'retryOf' | 'splittable' | 'batchId'> & { readonly moves?: number },
): Attempt => {
  const attempt: Attempt = {
    moves: 0,
    ...init,
    handle,
    member: undefined,
    sub: undefined,
    enqueued: null,
    open: new Map(),
    done: false,
    itemStarts: new Map(),
    checkedSignature: undefined,
    okMembers: new Set(),
  };
  handle.attempts.add(attempt);
  return attempt;
};

/** The run's items in server order, or `null` when they cannot be expressed as a sweep (batch nodes, or options the client's run rejects). */
export const expansionOf = (handle: RunHandle): SweepItem[] | null => {
  if (handle.expansion !== undefined) return handle.expansion;
  try {
    handle.expansion = hasBatchNodes(handle.workflow) ? null : expandSweep(handle.options.sweep, handle.options.runs ?? 1);
  } catch {
    // The client's run reports the same problem as its error.
    handle.expansion = null;
  }
  return handle.expansion;
};

/** Its items that have not ended: once enqueued, those still open; before, those it will enqueue. */
export const openItemsOf = (attempt: Attempt): number =>
  attempt.enqueued !== null ? attempt.open.size : attempt.positions?.length ?? expansionOf(attempt.handle)?.length ?? 1;

/** The options of the client run that enqueues exactly this batch. */
export const runOptionsOf = (attempt: Attempt): RunOptions => {
  const { sweep: _sweep, runs: _runs, batchId: _batchId, key, ...rest } = attempt.handle.options;
  const own = attempt.part === null ? attempt.handle.options : attempt.part;
  // The run's whole batch under its key (also when moved to another server before it was enqueued):
  // the client names it by the key and looks it up before posting. Parts and retries have ids of their own.
  const keyed = key !== undefined && attempt.part === null && attempt.retryOf === undefined;
  return {
    ...rest,
    ...(own.runs !== undefined ? { runs: own.runs } : {}),
    ...(own.sweep !== undefined ? { sweep: own.sweep } : {}),
    ...(keyed ? { key } : { batchId: attempt.batchId }),
  };
};

/** What the pool adds to the events of a batch on a server: the server, and what it retries. */
export const originOf = (attempt: Attempt): { server: PoolServerRef; retryOf?: RetryRef } => ({
  server: (attempt.member as Member).config.ref,
  ...(attempt.retryOf !== undefined ? { retryOf: attempt.retryOf } : {}),
});

/** How an item ended, from its terminal event; `undefined` for any other event. */
export const itemResultOf = (attempt: Attempt, event: RunEvent): PoolRunItemResult | undefined => {
  if (event.type !== 'completed' && event.type !== 'failed' && event.type !== 'canceled') return undefined;
  const ended = { batchId: attempt.batchId, ...originOf(attempt) };
  switch (event.type) {
    case 'completed':
      return { itemId: event.itemId, status: 'completed', outputs: event.outputs, fieldValues: event.queueItem.field_values ?? [], queueItem: event.queueItem, ...ended };
    case 'failed':
      return {
        itemId: event.itemId,
        status: 'failed',
        outputs: [],
        error: event.error,
        ...(event.nodeId !== undefined ? { failedNodeId: event.nodeId } : {}),
        fieldValues: [],
        queueItem: null,
        ...ended,
      };
    case 'canceled':
      return { itemId: event.itemId, status: 'canceled', outputs: [], fieldValues: [], queueItem: null, ...ended };
  }
};

/** An item of the batch ended: it is no longer open, and its result fills its run position. */
export const recordItem = (attempt: Attempt, result: PoolRunItemResult): void => {
  const position = attempt.open.get(result.itemId) ?? -1;
  attempt.open.delete(result.itemId);
  if (position >= 0) attempt.handle.slots.set(position, result);
};
