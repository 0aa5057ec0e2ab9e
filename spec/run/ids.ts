// Branded ids for hand-written test data (events, facts, results), checked as the decoder checks
// them: a value the brand refuses is a mistake in the test, and throws.
import { BatchId, ItemId, NodeId, PreparedId } from '../../lib/protocol/ids';
import { asDecoded } from '../decoded';

export const itemId = (id: number): ItemId => asDecoded(ItemId, id);
export const itemIds = (ids: readonly number[]): ItemId[] => ids.map(itemId);
export const batchId = (id: string): BatchId => asDecoded(BatchId, id);
export const nodeId = (id: string): NodeId => asDecoded(NodeId, id);
export const preparedId = (id: string): PreparedId => asDecoded(PreparedId, id);
