// Builders of run facts and queue items for the reducer tests: a small, valid server history.
import { QueueItem, type InvocationOutput, type QueueItemStatus } from '../../lib/protocol/dto';
import { BatchId } from '../../lib/protocol/ids';
import type { RunItemError } from '../../lib/run/events';
import type { RunFact } from '../../lib/run/state';
import type { WorkflowOutput } from '../../lib/workflow/types';
import { asDecoded } from '../decoded';
import * as ids from './ids';

export const BATCH = asDecoded(BatchId, 'batch-ours');
export const OTHER_BATCH = asDecoded(BatchId, 'batch-theirs');

/** The workflow output node of the test workflow: `save` (its copies are `save#<item>#<k>`). */
export const SAVE_OUTPUT: WorkflowOutput = {
  nodeId: 'save',
  nodeType: 'save_image',
  label: 'Save Image',
  board: null,
  boardInForm: false,
  producesMedia: true,
};

export const imageResult = (name: string): InvocationOutput => ({
  type: 'image_output',
  image: { image_name: name },
  width: 512,
  height: 512,
  output_meta: null,
});

export const enqueued = (itemIds: number[], batchId: string = BATCH): RunFact => ({
  kind: 'enqueued',
  batchId: ids.batchId(batchId),
  itemIds: ids.itemIds(itemIds),
  requested: itemIds.length,
  enqueued: itemIds.length,
});

export const status = (
  itemId: number,
  value: QueueItemStatus,
  sequence: number | null,
  extra: { error?: RunItemError; batchId?: string; source?: 'socket' | 'rest' } = {},
): RunFact => ({
  kind: 'status',
  itemId: ids.itemId(itemId),
  batchId: ids.batchId(extra.batchId ?? BATCH),
  status: value,
  sequence,
  error: extra.error ?? null,
  source: extra.source ?? 'socket',
});

type NodeKind = 'node_started' | 'node_progress' | 'node_completed' | 'node_error';

const nodeBase = (itemId: number, sourceNodeId: string, preparedId: string, batchId: string = BATCH) => ({
  itemId: ids.itemId(itemId),
  batchId: ids.batchId(batchId),
  preparedId: ids.preparedId(preparedId),
  sourceNodeId: ids.nodeId(sourceNodeId),
  nodeType: sourceNodeId === 'save' ? 'save_image' : 'noise',
});

export const started = (itemId: number, node: string, prepared: string, batchId?: string): RunFact => ({
  kind: 'node_started',
  ...nodeBase(itemId, node, prepared, batchId),
});

export const progress = (itemId: number, node: string, prepared: string, percentage: number | null): RunFact => ({
  kind: 'node_progress',
  ...nodeBase(itemId, node, prepared),
  percentage,
  message: 'Denoising',
  image: null,
});

export const completedNode = (itemId: number, node: string, prepared: string, result: InvocationOutput): RunFact => ({
  kind: 'node_completed',
  ...nodeBase(itemId, node, prepared),
  result,
  invocation: { id: prepared, type: node === 'save' ? 'save_image' : 'noise', is_intermediate: node !== 'save' },
});

export const nodeError = (itemId: number, node: string, prepared: string, error: RunItemError): RunFact => ({
  kind: 'node_error',
  ...nodeBase(itemId, node, prepared),
  error,
});

export type { NodeKind };

/** A queue item as `GET .../i/{id}` returns it (null fields omitted). */
export const queueItem = (
  itemId: number,
  value: QueueItemStatus,
  sequence: number,
  session: Readonly<Record<string, unknown>> = {},
  extra: Readonly<Record<string, unknown>> = {},
): QueueItem =>
  asDecoded(QueueItem, {
  item_id: itemId,
  status: value,
  status_sequence: sequence,
  batch_id: BATCH,
  session_id: `session-${itemId}`,
  queue_id: 'default',
  created_at: '2026-01-01 00:00:00.000',
  updated_at: '2026-01-01 00:00:01.000',
  field_values: [],
  ...extra,
  session: { id: `session-${itemId}`, ...session },
  });

export const snapshot = (item: QueueItem): RunFact => ({ kind: 'snapshot', item });
