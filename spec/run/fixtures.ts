// Shared test data for spec/run: the three real completed queue items and their output nodes.
import * as fs from 'fs';
import * as path from 'path';
import { isRight } from 'fp-ts/Either';
import { QueueItem } from '../../lib/protocol/dto';
import type { WorkflowOutput } from '../../lib/workflow/types';

const dir = path.join(__dirname, '..', 'fixtures', 'seed-workflows', 'api-calls');

/** Names of the recorded queue items under spec/fixtures/seed-workflows/api-calls. */
export const API_CALL_FIXTURES = [
  'call-wf-flux-image-to-image.json',
  'call-wf-sdxl-flux-refine.json',
  'call-wf-sdxl-text-to-image.json',
] as const;

/** A recorded queue item, decoded with the project's own codec (so the test also checks it decodes). */
export const loadQueueItem = (name: string): QueueItem => {
  const decoded = QueueItem.decode(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
  if (!isRight(decoded)) throw new Error(`fixture ${name} does not decode as a QueueItem`);
  return decoded.right;
};

interface RawNode {
  readonly id: string;
  readonly type: string;
  readonly data?: {
    readonly type: string;
    readonly label?: string;
    readonly isIntermediate?: boolean;
    readonly inputs?: Record<string, { value?: unknown }>;
  };
}

/**
 * The output nodes of the workflow the item carries, read straight from the GUI JSON: invocation
 * nodes with `isIntermediate: false` (what "Save to Gallery" means), the board from their input.
 */
export const outputsFromItemWorkflow = (item: QueueItem): WorkflowOutput[] => {
  const nodes = ((item.workflow as { nodes?: RawNode[] } | null | undefined)?.nodes ?? []).filter(
    (node) => node.type === 'invocation' && node.data?.isIntermediate === false,
  );
  return nodes.map((node) => {
    const board = node.data?.inputs?.board?.value;
    const boardId =
      typeof board === 'object' && board !== null && typeof (board as { board_id?: unknown }).board_id === 'string'
        ? (board as { board_id: string }).board_id
        : null;
    return {
      nodeId: node.id,
      nodeType: node.data?.type ?? '',
      label: node.data?.label || node.data?.type || '',
      board: boardId,
      boardInForm: false,
      producesMedia: true,
    };
  });
};
