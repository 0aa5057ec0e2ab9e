// InvokeAI's executable graph (its `Graph` schema): what `enqueue_batch` sends, built from a workflow
// by `buildGraph`, and what the server echoes in a session's `graph` and `execution_graph`. Nodes
// keep their fields loose: their shape is the node type's, checked by the server.
import * as t from 'io-ts';

/** A node of a graph: `{ id, type, ...inputs }` (sent with `use_cache` and `is_intermediate`). */
export const GraphNode = /*#__PURE__*/ t.intersection([t.type({ id: t.string, type: t.string }), t.UnknownRecord], 'GraphNode');
/** A node of a graph. */
export type GraphNode = t.TypeOf<typeof GraphNode>;

/** One end of a graph edge. */
export const EdgeConnection = /*#__PURE__*/ t.type({ node_id: t.string, field: t.string }, 'EdgeConnection');
/** One end of a graph edge. */
export type EdgeConnection = t.TypeOf<typeof EdgeConnection>;

/** A graph edge: `source.field` feeds `destination.field`. */
export const GraphEdge = /*#__PURE__*/ t.type({ source: EdgeConnection, destination: EdgeConnection }, 'GraphEdge');
/** A graph edge. */
export type GraphEdge = t.TypeOf<typeof GraphEdge>;

const graphProps = { id: t.string, nodes: t.record(t.string, GraphNode), edges: t.array(GraphEdge) };

/** An executable graph: the one `enqueue_batch` sends has the workflow's node ids. */
export const Graph = /*#__PURE__*/ t.type(graphProps, 'Graph');
/** An executable graph. */
export type Graph = t.TypeOf<typeof Graph>;

/** A graph as a session echoes it; read leniently, any part may be missing. */
export const EchoedGraph = /*#__PURE__*/ t.partial(graphProps, 'EchoedGraph');
/** A graph as a session echoes it. */
export type EchoedGraph = t.TypeOf<typeof EchoedGraph>;
