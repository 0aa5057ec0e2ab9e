// Fuzzing the REST decoders: every DTO codec (queue items, statuses, enqueue answers, images,
// boards, models, library workflows) on mutated real records and random JSON gives a value or
// path-addressed issues, never a throw; and through the client's HTTP layer, any answer body
// resolves or rejects with one of the client's typed errors.
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import * as t from 'io-ts';
import { isLeft, isRight } from 'fp-ts/Either';
import { BatchStatus, EnqueueBatchResult, QueueAndProcessorStatus, QueueItem, SessionQueueStatus, SessionState } from '../../lib/protocol/dto';
import { toPathIssues } from '../../lib/protocol/issues';
import { ImageDTO, images } from '../../lib/client/images';
import { BoardDTO, boards } from '../../lib/client/boards';
import { ModelConfig, models } from '../../lib/client/models';
import { WorkflowRecord, workflows } from '../../lib/client/workflows';
import { createClient } from '../../lib/client/client';
import type { FetchLike } from '../../lib/transport/http';
import { MockServer, startMockServer } from '../../lib/testing';
import { samplePayloads } from '../protocol/event-samples';
import { anyJson, extended, mutated } from './mutate';
import { app } from '../../lib/client/app';
import { queue } from '../../lib/client/queue';
import * as ids from '../run/ids';

const API_CALLS = path.join(__dirname, '..', 'fixtures', 'seed-workflows', 'api-calls');
const realItems = fs.readdirSync(API_CALLS).map((f) => JSON.parse(fs.readFileSync(path.join(API_CALLS, f), 'utf8')) as Record<string, unknown>);

/** Decodes and checks the result's shape with plain checks (fast-check runs thousands of cases). */
const assertDecodes = (codec: t.Decoder<unknown, unknown>, value: unknown): void => {
  const r = codec.decode(value);
  if (isRight(r)) return;
  const issues = toPathIssues(r.left);
  if (issues.length === 0) throw new Error(`${codec.name}: a failure without issues`);
  for (const i of issues) if (!i.path.startsWith('$') || i.message.length === 0) throw new Error(`${codec.name}: issue without path or message ${JSON.stringify(i)}`);
};

describe('REST codecs under fuzzing', () => {
  let server: MockServer;
  const bases: Array<{ readonly name: string; readonly codec: t.Decoder<unknown, unknown>; readonly base: Record<string, unknown> }> = [];

  beforeAll(async () => {
    // Real records: the three completed queue items of the Python client, and what the simulator serves.
    const text = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'default-workflows', 'Text to Image - SD1.5.json'), 'utf8');
    server = await startMockServer({ workflows: [JSON.parse(text) as Record<string, unknown>] });
    const image = server.addImage({ width: 32, height: 16 });
    const board = server.addBoard('fuzz');
    const listed = (await (await fetch(`${server.url}/api/v1/workflows/`)).json()) as { items: Array<{ workflow_id: string }> };
    const record = (await (await fetch(`${server.url}/api/v1/workflows/i/${listed.items[0].workflow_id}`)).json()) as Record<string, unknown>;
    const status = samplePayloads.queue_item_status_changed as { batch_status: Record<string, unknown>; queue_status: Record<string, unknown> };
    realItems.forEach((item, i) => bases.push({ name: `QueueItem #${i}`, codec: QueueItem, base: item }));
    bases.push(
      { name: 'SessionState', codec: SessionState, base: realItems[0].session as Record<string, unknown> },
      { name: 'BatchStatus', codec: BatchStatus, base: status.batch_status },
      { name: 'SessionQueueStatus', codec: SessionQueueStatus, base: status.queue_status },
      { name: 'QueueAndProcessorStatus', codec: QueueAndProcessorStatus, base: { queue: status.queue_status, processor: { is_started: true, is_processing: false } } },
      {
        name: 'EnqueueBatchResult',
        codec: EnqueueBatchResult,
        base: { queue_id: 'default', enqueued: 2, requested: 2, batch: { batch_id: 'b-1', origin: null, runs: 1 }, item_ids: [8, 7], priority: 0 },
      },
      { name: 'ImageDTO', codec: ImageDTO, base: image as unknown as Record<string, unknown> },
      { name: 'BoardDTO', codec: BoardDTO, base: board as unknown as Record<string, unknown> },
      { name: 'ModelConfig', codec: ModelConfig, base: server.models()[0] as unknown as Record<string, unknown> },
      { name: 'WorkflowRecord', codec: WorkflowRecord, base: record },
    );
  });
  afterAll(() => server.close());

  it('decodes every real base record (the mutations start from valid values)', () => {
    expect(bases.length).toBe(realItems.length + 9);
    for (const { name, codec, base } of bases) {
      const r = codec.decode(base);
      if (isLeft(r)) throw new Error(`${name} does not decode: ${JSON.stringify(toPathIssues(r.left))}`);
    }
  });

  it('mutated records give a value or issues with paths, never a throw', () => {
    for (const { codec, base } of bases) fc.assert(fc.property(mutated(base), (value) => assertDecodes(codec, value)), { numRuns: 300 });
  });

  it('extra fields of a newer server never break a record', () => {
    for (const { name, codec, base } of bases) {
      fc.assert(
        fc.property(extended(base), (value) => {
          if (isLeft(codec.decode(value))) throw new Error(`${name}: extra fields broke it`);
        }),
        { numRuns: 50 },
      );
    }
  });

  it('random JSON gives a value or issues, never a throw', () => {
    for (const { codec } of bases) fc.assert(fc.property(anyJson, (value) => assertDecodes(codec, value)), { numRuns: 200 });
  });
});

describe('the client HTTP layer on any answer body', () => {
  /** The client's typed errors; anything else escaping a resource call is a defect. */
  const TYPED = new Set(['DecodeError', 'HttpError', 'NotFoundError', 'AuthError', 'NetworkError']);
  const answer = fc.record({
    status: fc.constantFrom(200, 200, 200, 201, 204, 400, 401, 404, 422, 500),
    body: fc.oneof(
      anyJson.map((v) => JSON.stringify(v)),
      mutated(realItems[0]).map((v) => JSON.stringify(v) ?? 'null'),
      fc.string({ maxLength: 20 }), // not JSON at all
      fc.constant(''),
    ),
  });
  const fakeFetch = (status: number, body: string): FetchLike => async () => ({
    status,
    headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) },
    text: async () => body,
    arrayBuffer: async () => new TextEncoder().encode(body).buffer as ArrayBuffer,
  });
  const calls: ReadonlyArray<readonly [string, (c: ReturnType<typeof createClient>) => Promise<unknown>]> = [
    ['queue.item', (c) => queue(c).item(ids.itemId(1))],
    ['queue.status', (c) => queue(c).status()],
    ['queue.batchStatus', (c) => queue(c).batchStatus(ids.batchId('b'))],
    ['queue.list', (c) => queue(c).list()],
    ['images.get', (c) => images(c).get('a.png')],
    ['images.list', (c) => images(c).list()],
    ['boards.list', (c) => boards(c).list()],
    ['models.list', (c) => models(c).list()],
    ['workflows.record', (c) => workflows(c).record('w')],
    ['app.version', (c) => app(c).version()],
  ];

  it.each(calls)('%s resolves or rejects with a typed error, whatever the server answers', async (_name, call) => {
    await fc.assert(
      fc.asyncProperty(answer, async ({ status, body }) => {
        const client = createClient({ baseUrl: 'http://fuzz.invalid', fetch: fakeFetch(status, body), retry: false });
        try {
          await call(client);
        } catch (error) {
          const name = error instanceof Error ? error.name : typeof error;
          if (!TYPED.has(name)) throw new Error(`HTTP ${status} with body ${JSON.stringify(body).slice(0, 80)} gave ${name}: ${String(error)}`);
        } finally {
          client.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
