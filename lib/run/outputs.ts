// Mapping server results back to the workflow's output nodes, purely.
// The server keys `session.results` by prepared copy ids (one per iteration); the workflow knows
// only its own node ids. Two routes lead to the same `RunOutput`s and must agree:
// - incremental: one `invocation_complete` of an output node (`runOutputOf`), as soon as it happens;
// - authoritative: the completed queue item (`outputsOfQueueItem`), read once at the end.
import type { InvocationOutput, QueueItem, SessionState } from '../protocol/dto';
import { NodeId } from '../protocol/ids';
import type { WorkflowOutput } from '../workflow/types';
import { isRecord, ownValue } from '../internal/record';
import type { ImageRef, RunOutput, VideoRef } from './events';

type Loose = Readonly<Record<string, unknown>>;

/** An output node of a workflow whose id can be on the server (every node id but an empty one). */
export type OutputNode = WorkflowOutput & { readonly nodeId: NodeId };

/** Whether an output's node id is one the server's graph and events can carry. */
export const isOutputNode = (output: WorkflowOutput): output is OutputNode => NodeId.is(output.nodeId);

const numberOr0 = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

const imageNameOf = (value: unknown): string | undefined =>
  isRecord(value) && typeof value.image_name === 'string' ? value.image_name : undefined;

const videoNameOf = (value: unknown): string | undefined =>
  isRecord(value) && typeof value.video_name === 'string' ? value.video_name : undefined;

/** The top-level field values of a node result, lists flattened: where its image and video fields are. */
const fieldValuesOf = (result: InvocationOutput): readonly unknown[] =>
  Object.values(result).flatMap((value: unknown) => (Array.isArray(value) ? value : [value]));

/**
 * The images of one node result: every top-level field that is an `ImageField` or a list of them
 * (what InvokeAI's gallery collects), in field order. The size comes from the result's own
 * `width` / `height`; it is 0 where the server does not report it (`image_collection_output`).
 */
export const imagesOfResult = (result: InvocationOutput): readonly ImageRef[] => {
  const width = numberOr0(result.width);
  const height = numberOr0(result.height);
  return fieldValuesOf(result).flatMap((candidate) => {
    const imageName = imageNameOf(candidate);
    return imageName === undefined ? [] : [{ imageName, width, height }];
  });
};

/** The videos of one node result (`video_output` and any top-level `VideoField`). */
export const videosOfResult = (result: InvocationOutput): readonly VideoRef[] => {
  const numFrames = optionalNumber(result.num_frames);
  const fps = optionalNumber(result.fps);
  const duration = optionalNumber(result.duration);
  const shared = {
    width: numberOr0(result.width),
    height: numberOr0(result.height),
    ...(numFrames === undefined ? {} : { numFrames }),
    ...(fps === undefined ? {} : { fps }),
    ...(duration === undefined ? {} : { duration }),
  };
  return fieldValuesOf(result).flatMap((candidate) => {
    const videoName = videoNameOf(candidate);
    return videoName === undefined ? [] : [{ videoName, ...shared }];
  });
};

const isPrimitive = (value: unknown): value is string | number | boolean =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** The plain values of one node result: `value` of `*_output`, items of a primitive `collection`. */
export const valuesOfResult = (result: InvocationOutput): readonly (string | number | boolean)[] => {
  if (isPrimitive(result.value)) return [result.value];
  if (Array.isArray(result.collection) && result.collection.every(isPrimitive)) return result.collection;
  return [];
};

/**
 * The board a node saved to: the `board` field of the node as the server ran it (`{board_id}`, or
 * absent / null for uncategorized). Without the node, the workflow's own setting (`'auto'` cannot
 * be resolved here and reads as `null`).
 */
export const boardIdOf = (invocation: Loose | undefined, output: WorkflowOutput): string | null => {
  if (invocation === undefined) return output.board === 'auto' ? null : output.board;
  const board = invocation.board;
  return isRecord(board) && typeof board.board_id === 'string' ? board.board_id : null;
};

/**
 * The `RunOutput` of one prepared copy of an output node: what an `output` event carries when
 * `invocation_complete` arrives (`invocation` is the event's prepared node, for its board).
 */
export const runOutputOf = (output: OutputNode, result: InvocationOutput, invocation?: Loose): RunOutput => ({
  nodeId: output.nodeId,
  nodeType: output.nodeType,
  label: output.label,
  boardId: boardIdOf(invocation, output),
  images: imagesOfResult(result),
  videos: videosOfResult(result),
  values: valuesOfResult(result),
});

/** The prepared ids of a workflow node in a session (both mappings are consulted; either may be missing). */
export const preparedIdsOf = (session: SessionState, nodeId: string): readonly string[] => {
  const fromSource = ownValue(session.source_prepared_mapping, nodeId);
  const fromPrepared = Object.entries(session.prepared_source_mapping ?? {})
    .filter(([, source]) => source === nodeId)
    .map(([prepared]) => prepared);
  return [...new Set([...(Array.isArray(fromSource) ? fromSource : []), ...fromPrepared])];
};

const comparePaths = (a: readonly number[], b: readonly number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
};

/**
 * Prepared ids in iteration order: by `prepared_iteration_paths`, then by position in
 * `executed_history`, then by position in `results` (the server inserts results as nodes complete,
 * and JSON objects keep that order), then by id for a stable total order.
 */
export const sortPreparedIds = (session: SessionState, preparedIds: readonly string[]): readonly string[] => {
  const paths = session.prepared_iteration_paths ?? {};
  const history = session.executed_history ?? [];
  const resultOrder = Object.keys(session.results ?? {});
  // Positions looked up once, not by `indexOf` in every comparison: iterated nodes have many copies.
  const positions = (list: readonly string[]): ReadonlyMap<string, number> => {
    const map = new Map<string, number>();
    list.forEach((id, index) => {
      if (!map.has(id)) map.set(id, index);
    });
    return map;
  };
  const historyPositions = positions(history);
  const resultPositions = positions(resultOrder);
  const rank = (list: ReadonlyMap<string, number>, id: string): number => list.get(id) ?? Number.MAX_SAFE_INTEGER;
  return [...preparedIds].sort((a, b) => {
    const pathA = ownValue(paths, a);
    const pathB = ownValue(paths, b);
    if (pathA !== undefined && pathB !== undefined) {
      const byPath = comparePaths(pathA, pathB);
      if (byPath !== 0) return byPath;
    } else if (pathA !== undefined || pathB !== undefined) {
      return pathA !== undefined ? -1 : 1;
    }
    const byHistory = rank(historyPositions, a) - rank(historyPositions, b);
    if (byHistory !== 0) return byHistory;
    const byResult = rank(resultPositions, a) - rank(resultPositions, b);
    if (byResult !== 0) return byResult;
    return a < b ? -1 : a > b ? 1 : 0;
  });
};

/** The node the server ran for a prepared id (the execution graph's copy, else the source graph's node). */
const invocationOf = (session: SessionState, preparedId: string, nodeId: string): Loose | undefined =>
  ownValue(session.execution_graph?.nodes, preparedId) ?? ownValue(session.graph?.nodes, nodeId);

/**
 * The authoritative outputs of a queue item: one `RunOutput` per output node that has results, in
 * the order of `outputs`, its images (videos, values) from every prepared copy in iteration order.
 *
 * @example
 * import { listOutputs, outputsOfQueueItem, queue } from 'invokeai-rx';
 * const item = await queue(client).current();
 * if (item !== null) console.log(outputsOfQueueItem(listOutputs(wf), item).flatMap((o) => o.images.map((i) => i.imageName)));
 */
export const outputsOfQueueItem = (outputs: readonly WorkflowOutput[], item: QueueItem): readonly RunOutput[] => {
  const session = item.session;
  const results = session.results;
  const runOutputs: RunOutput[] = [];
  for (const output of outputs) {
    if (!isOutputNode(output)) continue;
    const resultOf = new Map<string, InvocationOutput>();
    for (const id of preparedIdsOf(session, output.nodeId)) {
      const result = ownValue(results, id);
      if (result !== undefined) resultOf.set(id, result);
    }
    if (resultOf.size === 0) continue;
    const parts = sortPreparedIds(session, [...resultOf.keys()]).flatMap((id) => {
      const result = resultOf.get(id);
      return result === undefined ? [] : [runOutputOf(output, result, invocationOf(session, id, output.nodeId))];
    });
    runOutputs.push({
      ...parts[0],
      images: parts.flatMap((part) => part.images),
      videos: parts.flatMap((part) => part.videos),
      values: parts.flatMap((part) => part.values),
    });
  }
  return runOutputs;
};
