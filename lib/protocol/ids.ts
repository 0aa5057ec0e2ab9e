// The ids that travel between the client and the server, each a type of its own so that one can
// never stand in for another: a queue item id is no count, a prepared node id is no workflow node
// id, a batch id is no session id. Decoding brands them; `.is` brands an id a program holds.
import * as t from 'io-ts';

/** What sets `ItemId` apart from other numbers (a type-level mark only). */
export interface ItemIdBrand {
  readonly ItemId: unique symbol;
}
/**
 * A queue item's id: an integer the server assigns at enqueue (SQLite's row id).
 *
 * @example
 * import { ItemId } from 'invokeai-rx';
 * const id = Number(process.argv[2]); // a number...
 * if (ItemId.is(id)) console.log(`item ${id}`); // ...that is an ItemId from here on
 */
export const ItemId = /*#__PURE__*/ t.brand(t.number, (n): n is t.Branded<number, ItemIdBrand> => Number.isSafeInteger(n), 'ItemId');
/** A queue item's id. */
export type ItemId = t.TypeOf<typeof ItemId>;

/** What sets `BatchId` apart from other strings (a type-level mark only). */
export interface BatchIdBrand {
  readonly BatchId: unique symbol;
}
/** A batch's id: the uuid the client gives `enqueue_batch` (or the server picks); every item of the batch carries it. */
export const BatchId = /*#__PURE__*/ t.brand(t.string, (s): s is t.Branded<string, BatchIdBrand> => s.length > 0, 'BatchId');
/** A batch's id. */
export type BatchId = t.TypeOf<typeof BatchId>;

/** What sets `NodeId` apart from other strings (a type-level mark only). */
export interface NodeIdBrand {
  readonly NodeId: unique symbol;
}
/** A node's id in the workflow and in the graph sent from it; events name it `invocation_source_id`. */
export const NodeId = /*#__PURE__*/ t.brand(t.string, (s): s is t.Branded<string, NodeIdBrand> => s.length > 0, 'NodeId');
/** A node's id in the workflow and in the graph sent from it. */
export type NodeId = t.TypeOf<typeof NodeId>;

/** What sets `PreparedId` apart from other strings (a type-level mark only). */
export interface PreparedIdBrand {
  readonly PreparedId: unique symbol;
}
/**
 * The id of one prepared node of a session: the server prepares a workflow node once per iteration
 * of a collection, each with a fresh id; events name it `invocation.id`, `results` are keyed by it.
 */
export const PreparedId = /*#__PURE__*/ t.brand(t.string, (s): s is t.Branded<string, PreparedIdBrand> => s.length > 0, 'PreparedId');
/** The id of one prepared node of a session. */
export type PreparedId = t.TypeOf<typeof PreparedId>;
