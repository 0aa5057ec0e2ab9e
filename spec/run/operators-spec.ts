import { of, Subject, throwError, concat } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { queueItem } from './history';
import type { RunEvent, RunOutput } from '../../lib/run/events';
import { collectOutputs, ofType, outputsOf, progressOf } from '../../lib/run/operators';
import * as ids from './ids';

const out = (nodeId: string, imageName: string): RunOutput => ({
  nodeId: ids.nodeId(nodeId),
  nodeType: 'save_image',
  label: nodeId,
  boardId: null,
  images: [{ imageName, width: 1, height: 1 }],
  videos: [],
  values: [],
});

const progressEvent = (itemId: number, nodeId: string, percentage: number): RunEvent => ({
  type: 'node_progress',
  itemId: ids.itemId(itemId),
  nodeId: ids.nodeId(nodeId),
  preparedId: ids.preparedId(`${nodeId}#${itemId}`),
  percentage,
  message: 'Denoising',
  image: null,
});

const events: Record<string, RunEvent> = {
  e: { type: 'enqueued', batchId: ids.batchId('b'), itemIds: ids.itemIds([1, 2]), requested: 2, enqueued: 2 },
  p: progressEvent(1, 'denoise', 0.25),
  q: progressEvent(2, 'denoise', 0.5),
  r: progressEvent(1, 'vae', 0.75),
  o: { type: 'output', itemId: ids.itemId(1), output: out('save', 'early.png') },
  c: { type: 'completed', itemId: ids.itemId(1), outputs: [out('save', 'a.png'), out('grid', 'b.png')], queueItem: queueItem(1, 'completed', 2) },
  f: { type: 'failed', itemId: ids.itemId(2), error: { type: 'E', message: 'm', traceback: '' } },
};

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('ofType', () => {
  it('keeps only the named kinds, in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('epqocf|', events).pipe(ofType('completed', 'failed'))).toBe('----cf|', events);
      expectObservable(cold('epqocf|', events).pipe(ofType('node_progress'))).toBe('-pq---|', events);
    });
  });

  it('narrows the type (checked by tsc)', () => {
    const done = new Subject<RunEvent>();
    const seen: number[] = [];
    done.pipe(ofType('node_progress')).subscribe((event) => seen.push(event.percentage ?? -1));
    done.next(events.p);
    done.next(events.c);
    done.complete();
    expect(seen).toEqual([0.25]);
  });
});

describe('progressOf', () => {
  it('follows one node, of every item or of one item', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('pqr|', events).pipe(progressOf('denoise'))).toBe('pq-|', events);
      expectObservable(cold('pqr|', events).pipe(progressOf('denoise', 2))).toBe('-q-|', events);
      expectObservable(cold('pqr|', events).pipe(progressOf('vae'))).toBe('--r|', events);
    });
  });
});

describe('outputsOf / collectOutputs', () => {
  it('emits the authoritative outputs of each completed item, not the early ones', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(outputsOf(cold('eoc----f|', events))).toBe('--(ab)--|', {
        a: out('save', 'a.png'),
        b: out('grid', 'b.png'),
      });
    });
  });

  it('resolves with every output once the run completes; failed items add none', async () => {
    await expect(collectOutputs(of(events.e, events.o, events.c, events.f))).resolves.toEqual([out('save', 'a.png'), out('grid', 'b.png')]);
  });

  it('rejects with the run error', async () => {
    const error = new Error('enqueue rejected');
    await expect(collectOutputs(concat(of(events.e), throwError(() => error)))).rejects.toBe(error);
  });
});
