// What a job of a run worker returns: per item, how it ended and the names of the images and videos
// each output node made (the files stay on the server), with the batch and server it ran on.
// Pure: built from the run's events, decoded from what Redis gives back.
import * as t from 'io-ts';
import type { PoolRunEvent, PoolServerRef, RunEvent, RunItemError, RunOutput } from '../index';

/** What one output node of the workflow produced in one item: names, not bytes. */
export interface RunJobOutput {
  /** The workflow's node id. */
  readonly nodeId: string;
  readonly nodeType: string;
  readonly label: string;
  /** Image names on the server (`images(client).download(name)`), in iteration order. */
  readonly images: readonly string[];
  /** Video names on the server. */
  readonly videos: readonly string[];
  /** Plain values of string / integer / float / boolean outputs. */
  readonly values: readonly (string | number | boolean)[];
}

/** How one item of the job's run ended. */
export interface RunJobItem {
  readonly itemId: number;
  readonly status: 'completed' | 'failed' | 'canceled';
  /** The batch it belongs to. */
  readonly batchId: string;
  /** The server it ran on, when the job ran on a pool. */
  readonly server?: PoolServerRef;
  readonly outputs: readonly RunJobOutput[];
  readonly error?: RunItemError;
}

/** A batch the job's run used, and where. */
export interface RunJobBatch {
  readonly batchId: string;
  readonly server?: PoolServerRef;
  /** Set on a batch a pool sent after the server of an earlier one was lost: the batch and items it runs again. */
  readonly retryOf?: { readonly batchId: string; readonly itemIds: readonly number[] };
  /** The batch was on the server already and this attempt followed it (a job taken over from a worker that stopped). */
  readonly attached?: boolean;
}

/** The result of a run job (`job.returnvalue`). */
export interface RunJobResult {
  /** Every batch, in the order they were enqueued (one unless a pool split or requeued the run). */
  readonly batches: readonly RunJobBatch[];
  /** Every item, as it ended; an item lost with its server and run again appears once, as its retry ended. */
  readonly items: readonly RunJobItem[];
}

const ServerRef = t.readonly(t.type({ index: t.number, url: t.string }));
const ItemError = t.readonly(t.type({ type: t.string, message: t.string, traceback: t.string }));
const Output = t.readonly(
  t.type({
    nodeId: t.string,
    nodeType: t.string,
    label: t.string,
    images: t.readonlyArray(t.string),
    videos: t.readonlyArray(t.string),
    values: t.readonlyArray(t.union([t.string, t.number, t.boolean])),
  }),
);
const Item = t.intersection([
  t.type({ itemId: t.number, status: t.keyof({ completed: null, failed: null, canceled: null }), batchId: t.string, outputs: t.readonlyArray(Output) }),
  t.partial({ server: ServerRef, error: ItemError }),
]);
const Batch = t.intersection([
  t.type({ batchId: t.string }),
  t.partial({ server: ServerRef, retryOf: t.readonly(t.type({ batchId: t.string, itemIds: t.readonlyArray(t.number) })), attached: t.boolean }),
]);

/** The codec of `RunJobResult`, for what comes back from Redis. */
export const RunJobResultCodec: t.Type<RunJobResult, unknown> = t.readonly(t.type({ batches: t.readonlyArray(Batch), items: t.readonlyArray(Item) })) as unknown as t.Type<RunJobResult, unknown>;

/** An output of a run as names only. */
export const jobOutputOf = (output: RunOutput): RunJobOutput => ({
  nodeId: output.nodeId,
  nodeType: output.nodeType,
  label: output.label,
  images: output.images.map((image) => image.imageName),
  videos: output.videos.map((video) => video.videoName),
  values: output.values,
});

/** The events of a run, as seen by the result: a client's, or a pool's with the server. */
export type JobRunEvent = RunEvent | PoolRunEvent;

const serverOf = (event: JobRunEvent): PoolServerRef | undefined => ('server' in event ? event.server : undefined);
/** Item ids are per server: an item is known by both. */
const itemKey = (server: PoolServerRef | undefined, itemId: number): string => `${server?.index ?? 0}:${itemId}`;

/** Collects a job's result from its run's events, in O(1) per event (a sweep may have thousands of items). */
export interface ResultCollector {
  /** Takes one run event (enqueues and terminal events count; the rest change nothing). */
  readonly add: (event: JobRunEvent) => void;
  /** The result so far: items in the order they ended. */
  readonly result: () => RunJobResult;
}

export const createResultCollector = (): ResultCollector => {
  const batches: RunJobBatch[] = [];
  const items = new Map<string, RunJobItem>();
  const batchOfItem = new Map<string, string>();
  const add = (event: JobRunEvent): void => {
    const server = serverOf(event);
    if (event.type === 'enqueued') {
      const retryOf = 'retryOf' in event ? event.retryOf : undefined;
      for (const id of event.itemIds) batchOfItem.set(itemKey(server, id), event.batchId);
      // The items a retry runs again are no longer results of their lost batch.
      if (retryOf !== undefined) for (const id of retryOf.itemIds) items.delete(itemKey(retryOf.server, id));
      batches.push({
        batchId: event.batchId,
        ...(server !== undefined ? { server } : {}),
        ...(retryOf !== undefined ? { retryOf: { batchId: retryOf.batchId, itemIds: retryOf.itemIds } } : {}),
        ...(event.attached === true ? { attached: true } : {}),
      });
      return;
    }
    if (event.type !== 'completed' && event.type !== 'failed' && event.type !== 'canceled') return;
    const key = itemKey(server, event.itemId);
    items.set(key, {
      itemId: event.itemId,
      status: event.type,
      batchId: batchOfItem.get(key) ?? '',
      ...(server !== undefined ? { server } : {}),
      outputs: event.type === 'completed' ? event.outputs.map(jobOutputOf) : [],
      ...(event.type === 'failed' ? { error: event.error } : {}),
    });
  };
  return { add, result: () => ({ batches: [...batches], items: [...items.values()] }) };
};
