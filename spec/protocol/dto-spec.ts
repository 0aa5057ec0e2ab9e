import * as fs from 'fs';
import * as path from 'path';
import { isRight, isLeft } from 'fp-ts/Either';
import { QueueItem, EnqueueBatchResult, BatchStatus, SessionQueueStatus, isTerminalStatus, QueueItemStatus } from '../../lib/protocol/dto';
import { toPathIssues } from '../../lib/protocol/issues';

const fixtureDir = path.join(__dirname, '..', 'fixtures', 'seed-workflows', 'api-calls');
const fixtures = fs.readdirSync(fixtureDir).filter((f) => f.endsWith('.json'));

describe('QueueItem', () => {
  it.each(fixtures)('decodes the real completed queue item %s', (file) => {
    const value: unknown = JSON.parse(fs.readFileSync(path.join(fixtureDir, file), 'utf8'));
    const decoded = QueueItem.decode(value);
    expect(isRight(decoded)).toBe(true);
    if (!isRight(decoded)) return;
    expect(decoded.right.status).toBe('completed');
    const results = decoded.right.session.results ?? {};
    expect(Object.keys(results).length).toBeGreaterThan(0);
    // unknown fields are kept, not stripped
    expect((decoded.right as Record<string, unknown>).is_api_validation_run).toBe(false);
  });

  const minimal = {
    item_id: 1,
    status: 'pending',
    batch_id: 'b',
    session_id: 's',
    queue_id: 'default',
    created_at: '2025-01-01 00:00:00.000',
    updated_at: '2025-01-01 00:00:00.000',
    session: { id: 's' },
  };

  it('accepts an item whose null fields were omitted (REST exclude_none) or sent as null', () => {
    expect(isRight(QueueItem.decode(minimal))).toBe(true);
    expect(isRight(QueueItem.decode({ ...minimal, origin: null, error_type: null, status_sequence: null }))).toBe(true);
  });

  it('rejects an unknown status and names the path', () => {
    const decoded = QueueItem.decode({ ...minimal, status: 'exploded' });
    expect(isLeft(decoded)).toBe(true);
    if (isLeft(decoded)) expect(toPathIssues(decoded.left).map((i) => i.path)).toEqual(['$.status']);
  });

  it('names a nested path for a wrong result', () => {
    const decoded = QueueItem.decode({ ...minimal, session: { id: 's', results: { abc: { width: 3 } } } });
    expect(isLeft(decoded)).toBe(true);
    if (isLeft(decoded)) expect(toPathIssues(decoded.left)[0].path).toBe('$.session.results.abc.type');
  });
});

describe('queue shapes', () => {
  it('decodes an enqueue result with its echoed batch', () => {
    const decoded = EnqueueBatchResult.decode({
      queue_id: 'default',
      enqueued: 2,
      requested: 2,
      priority: 0,
      item_ids: [8, 7],
      batch: { batch_id: 'b1', graph: { nodes: {} }, runs: 2, origin: 'o', destination: null },
    });
    expect(isRight(decoded) && decoded.right.item_ids).toEqual([8, 7]);
  });

  it('decodes batch and queue status with and without `waiting`', () => {
    const counts = { pending: 0, in_progress: 1, completed: 0, failed: 0, canceled: 0, total: 1 };
    expect(isRight(BatchStatus.decode({ queue_id: 'q', batch_id: 'b', origin: null, destination: null, ...counts }))).toBe(true);
    expect(isRight(SessionQueueStatus.decode({ queue_id: 'q', item_id: null, batch_id: null, session_id: null, waiting: 0, ...counts }))).toBe(true);
    expect(isLeft(BatchStatus.decode({ queue_id: 'q', batch_id: 'b', ...counts, total: '1' }))).toBe(true);
  });

  it('tells terminal statuses apart', () => {
    const statuses: QueueItemStatus[] = ['pending', 'in_progress', 'waiting', 'completed', 'failed', 'canceled'];
    expect(statuses.filter(isTerminalStatus)).toEqual(['completed', 'failed', 'canceled']);
  });
});
