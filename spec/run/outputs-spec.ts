import { QueueItem, SessionState, type InvocationOutput } from '../../lib/protocol/dto';
import type { RunEvent, RunOutput } from '../../lib/run/events';
import { imagesOfResult, outputsOfQueueItem, sortPreparedIds, valuesOfResult, videosOfResult } from '../../lib/run/outputs';
import { initialRunState, reduceRunAll, RunFact } from '../../lib/run/state';
import type { WorkflowOutput } from '../../lib/workflow/types';
import { asDecoded } from '../decoded';
import { API_CALL_FIXTURES, loadQueueItem, outputsFromItemWorkflow } from './fixtures';
import * as ids from './ids';

const imageNames = (outputs: readonly RunOutput[]) =>
  Object.fromEntries(outputs.map((o) => [o.nodeId, o.images.map((i) => i.imageName)]));

describe('outputsOfQueueItem on real completed queue items', () => {
  it('flux image-to-image: the one image of its non-intermediate VAE decode node, uncategorized', () => {
    const item = loadQueueItem('call-wf-flux-image-to-image.json');
    const outputs = outputsOfQueueItem(outputsFromItemWorkflow(item), item);
    expect(outputs).toEqual([
      {
        nodeId: ids.nodeId('7e5172eb-48c1-44db-a770-8fd83e1435d1'),
        nodeType: 'flux_vae_decode',
        label: 'flux_vae_decode',
        boardId: null,
        images: [{ imageName: 'ea39c155-c6e2-41b2-b9a3-d210b6e37750.png', width: 1024, height: 1024 }],
        videos: [],
        values: [],
      },
    ]);
  });

  it('sdxl + flux refine: the images of its three save_image nodes, with the boards they saved to', () => {
    const item = loadQueueItem('call-wf-sdxl-flux-refine.json');
    const outputs = outputsOfQueueItem(outputsFromItemWorkflow(item), item);
    expect(imageNames(outputs)).toEqual({
      '4414d4b5-82c3-4513-8c3f-86d88c24aadc': ['2436c4fd-4207-497d-89d0-86d6d4ef8b5a.png'],
      '67e997b2-2d56-43f4-8d2e-886c04e18d9f': ['2d9ed2dc-855e-4f6b-b626-c74ec2467100.png'],
      'abc466fe-12eb-48a5-87d8-488c8bda180f': ['d9e77e4f-8859-4ff4-9109-1065a4ff9746.png'],
    });
    expect(outputs.map((o) => o.boardId)).toEqual([
      null,
      'a17c2b12-d25a-4e41-9217-d94a543b9e73',
      'a17c2b12-d25a-4e41-9217-d94a543b9e73',
    ]);
    expect(outputs.every((o) => o.images.every((i) => i.width === 608 && i.height === 800))).toBe(true);
    // Intermediate nodes also made images (hed edges, a board-less VAE decode): none of them is an output.
    const all = outputs.flatMap((o) => o.images.map((i) => i.imageName));
    expect(all).not.toContain('f3edf77d-31c4-4934-b7c3-d5155f080da0.png');
    expect(all).not.toContain('e007a5d1-bdc1-41ae-95a8-bf1ae9a215fc.png');
  });

  it('sdxl text-to-image: the image of the canvas_output l2i node', () => {
    const item = loadQueueItem('call-wf-sdxl-text-to-image.json');
    const outputs = outputsOfQueueItem(outputsFromItemWorkflow(item), item);
    expect(outputs).toHaveLength(1);
    expect(outputs[0].nodeId).toBe('canvas_output:JbPTiAJ26r');
    expect(outputs[0].images).toEqual([{ imageName: 'fe4089fd-1187-4883-b180-8aaf2fc317ba.png', width: 768, height: 1024 }]);
  });

  it('an output node without results (never ran) is left out', () => {
    const item = loadQueueItem('call-wf-sdxl-text-to-image.json');
    const ghost: WorkflowOutput = { nodeId: ids.nodeId('not-in-graph'), nodeType: 'save_image', label: 'x', board: null, boardInForm: false, producesMedia: true };
    expect(outputsOfQueueItem([ghost], item)).toEqual([]);
  });
});

/** The node facts the socket would have delivered for a completed item, in completion order. */
const completionFacts = (item: QueueItem): RunFact[] => {
  const session = item.session;
  return Object.entries(session.results ?? {}).map(([preparedId, result]) => ({
    kind: 'node_completed' as const,
    itemId: ids.itemId(item.item_id),
    batchId: item.batch_id,
    preparedId: ids.preparedId(preparedId),
    sourceNodeId: session.prepared_source_mapping?.[preparedId] ?? ids.nodeId(preparedId),
    nodeType: result.type,
    result,
    invocation: session.execution_graph?.nodes?.[preparedId],
  }));
};

describe('incremental outputs agree with the authoritative ones', () => {
  it.each(API_CALL_FIXTURES)('%s', (name) => {
    const item = loadQueueItem(name);
    const outputs = outputsFromItemWorkflow(item);
    const facts: RunFact[] = [
      { kind: 'enqueued', batchId: item.batch_id, itemIds: ids.itemIds([item.item_id]), requested: 1, enqueued: 1 },
      { kind: 'status', itemId: ids.itemId(item.item_id), batchId: item.batch_id, status: 'in_progress', sequence: 1, source: 'socket' },
      ...completionFacts(item),
      { kind: 'status', itemId: ids.itemId(item.item_id), batchId: item.batch_id, status: 'completed', sequence: 2, source: 'socket' },
      { kind: 'snapshot', item },
    ];
    const { emit } = reduceRunAll(initialRunState({ batchId: item.batch_id, outputs }), facts);
    const incremental = emit.flatMap((e: RunEvent) => (e.type === 'output' ? [e.output] : []));
    const completed = emit.find((e) => e.type === 'completed');
    if (completed?.type !== 'completed') throw new Error('no completed event');
    expect(incremental.length).toBeGreaterThan(0);
    expect(incremental).toEqual(completed.outputs);
  });
});

describe('several prepared copies of one node (iterations)', () => {
  const result = (name: string): InvocationOutput => ({ type: 'image_output', image: { image_name: name }, width: 64, height: 32 });
  const output: WorkflowOutput = { nodeId: ids.nodeId('save'), nodeType: 'save_image', label: 'Save', board: null, boardInForm: false, producesMedia: true };
  const item = (session: SessionState): QueueItem =>
    asDecoded(QueueItem, { item_id: 1, status: 'completed', batch_id: 'b', session_id: 's', queue_id: 'default', created_at: '', updated_at: '', session });

  it('orders images by prepared_iteration_paths, whatever the order of the results', () => {
    const session = asDecoded(SessionState, {
      id: 's',
      results: { p2: result('two.png'), p0: result('zero.png'), p10: result('ten.png'), p1: result('one.png') },
      source_prepared_mapping: { save: ['p10', 'p1', 'p2', 'p0'] },
      prepared_iteration_paths: { p0: [0], p1: [1], p2: [2], p10: [10] },
    });
    expect(outputsOfQueueItem([output], item(session))[0].images.map((i) => i.imageName)).toEqual([
      'zero.png', 'one.png', 'two.png', 'ten.png',
    ]);
  });

  it('without iteration paths, follows the order the server recorded the results in', () => {
    const session = asDecoded(SessionState, {
      id: 's',
      results: { b: result('first.png'), a: result('second.png') },
      prepared_source_mapping: { a: 'save', b: 'save' },
    });
    expect(outputsOfQueueItem([output], item(session))[0].images.map((i) => i.imageName)).toEqual(['first.png', 'second.png']);
    expect(sortPreparedIds(session, ['a', 'b'])).toEqual(['b', 'a']);
  });

  it('nested iteration paths compare element by element', () => {
    const session = { id: 's', prepared_iteration_paths: { x: [1, 0], y: [0, 5], z: [0, 10] } };
    expect(sortPreparedIds(session, ['x', 'z', 'y'])).toEqual(['y', 'z', 'x']);
  });
});

describe('what one result holds', () => {
  it('image collections give every image, size unknown (0)', () => {
    expect(imagesOfResult({ type: 'image_collection_output', collection: [{ image_name: 'a.png' }, { image_name: 'b.png' }] })).toEqual([
      { imageName: 'a.png', width: 0, height: 0 },
      { imageName: 'b.png', width: 0, height: 0 },
    ]);
  });

  it('videos carry their frame data', () => {
    expect(
      videosOfResult({ type: 'video_output', video: { video_name: 'v.mp4' }, width: 640, height: 480, num_frames: 24, fps: 12, duration: 2 }),
    ).toEqual([{ videoName: 'v.mp4', width: 640, height: 480, numFrames: 24, fps: 12, duration: 2 }]);
  });

  it('primitive outputs give their value; latents give nothing', () => {
    expect(valuesOfResult({ type: 'string_output', value: 'hello' })).toEqual(['hello']);
    expect(valuesOfResult({ type: 'integer_collection_output', collection: [1, 2] })).toEqual([1, 2]);
    expect(valuesOfResult({ type: 'latents_output', latents: { latents_name: 't' }, width: 8, height: 8 })).toEqual([]);
    expect(imagesOfResult({ type: 'latents_output', latents: { latents_name: 't' }, width: 8, height: 8 })).toEqual([]);
  });
});

describe('incremental and authoritative outputs of an iterating node', () => {
  it('the early outputs of every copy hold exactly the images of the final output, which is in iteration order', () => {
    const output: WorkflowOutput = { nodeId: ids.nodeId('save'), nodeType: 'save_image', label: 'Save', board: 'b1', boardInForm: false, producesMedia: true };
    const result = (name: string): InvocationOutput => ({ type: 'image_output', image: { image_name: name }, width: 64, height: 64 });
    // The server ran iteration 2 before iteration 0 and 1 (its ready order), as it may.
    const ran = [['c2', 'two.png'], ['c0', 'zero.png'], ['c1', 'one.png']] as const;
    const item = asDecoded(QueueItem, {
      item_id: 3, status: 'completed', status_sequence: 2, batch_id: 'b', session_id: 's', queue_id: 'default', created_at: '', updated_at: '',
      session: {
        id: 's',
        results: Object.fromEntries(ran.map(([id, name]) => [id, result(name)])),
        prepared_source_mapping: { c0: 'save', c1: 'save', c2: 'save' },
        source_prepared_mapping: { save: ['c1', 'c2', 'c0'] },
        prepared_iteration_paths: { c0: [0], c1: [1], c2: [2] },
        execution_graph: { nodes: Object.fromEntries(ran.map(([id]) => [id, { id, type: 'save_image', board: { board_id: 'b1' } }])) },
      },
    });
    const facts: RunFact[] = [
      { kind: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds([3]), requested: 1, enqueued: 1 },
      ...ran.map(([id, name]): RunFact => ({
        kind: 'node_completed', itemId: ids.itemId(3), batchId: ids.batchId('b'), preparedId: ids.preparedId(id), sourceNodeId: ids.nodeId('save'), nodeType: 'save_image',
        result: result(name), invocation: { id, type: 'save_image', board: { board_id: 'b1' } },
      })),
      { kind: 'snapshot', item },
    ];
    const { emit } = reduceRunAll(initialRunState({ batchId: ids.batchId('b'), outputs: [output] }), facts);
    const early = emit.flatMap((e) => (e.type === 'output' ? [e.output] : []));
    const completed = emit.find((e) => e.type === 'completed');
    if (completed?.type !== 'completed') throw new Error('no completed event');
    expect(early.map((o) => o.images[0].imageName)).toEqual(['two.png', 'zero.png', 'one.png']);
    expect(completed.outputs).toHaveLength(1);
    expect(completed.outputs[0].images.map((i) => i.imageName)).toEqual(['zero.png', 'one.png', 'two.png']);
    expect(early.flatMap((o) => o.images).sort((a, b) => a.imageName.localeCompare(b.imageName))).toEqual(
      [...completed.outputs[0].images].sort((a, b) => a.imageName.localeCompare(b.imageName)),
    );
    expect(new Set([...early.map((o) => o.boardId), completed.outputs[0].boardId])).toEqual(new Set(['b1']));
  });
});
