// Idempotency keys: the batch id of a key is the name-based uuid (v5) of the key and the queue, so
// every process that runs under the same key names the same batch, and can look it up before posting.
import { uuidV4, uuidV5 } from '../internal/uuid';
import { BatchId } from '../protocol/ids';
import type { RunOptions } from './options';

/** The namespace of invokeai-rx's key-derived batch ids (a fixed random uuid). */
const KEY_NAMESPACE = '3f6f9a52-8a9e-4d83-b2b8-7b8d1c8e4a61';

/**
 * The batch id of an idempotency key on a queue: the same in every process and on every platform.
 *
 * @example
 * import { batchIdOfKey } from 'invokeai-rx';
 * batchIdOfKey('order-1042', 'default'); // a uuid v5, always the same for these two
 */
export const batchIdOfKey = (key: string, queueId: string): BatchId => {
  if (key === '') throw new TypeError('RunOptions.key must be a non-empty string.');
  return uuidV5(JSON.stringify([queueId, key]), KEY_NAMESPACE) as BatchId;
};

/** A fresh batch id: a random uuid. @internal */
export const freshBatchId = (): BatchId => uuidV4() as BatchId;

/**
 * The batch id a new run enqueues under: its key's, the `batchId` it was given, or a fresh uuid.
 * Throws a `TypeError` naming the option for an empty key or batch id. @internal
 */
export const newBatchId = (options: Pick<RunOptions, 'key' | 'batchId'>, queueId: string): BatchId => {
  const batchId = options.key !== undefined ? batchIdOfKey(options.key, queueId) : (options.batchId ?? freshBatchId());
  if (!BatchId.is(batchId)) throw new TypeError('RunOptions.batchId must be a non-empty string (leave it out for a fresh uuid).');
  return batchId;
};
