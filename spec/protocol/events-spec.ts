import * as fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/Either';
import { serverEventCodecs, isKnownServerEventName } from '../../lib/protocol/events';
import { decodeServerEvent } from '../../lib/protocol/events-decode';
import { samplePayloads } from './event-samples';

describe('decodeServerEvent', () => {
  it('has a sample for every known event name (and no codec is left untested)', () => {
    expect(Object.keys(samplePayloads).sort()).toEqual(Object.keys(serverEventCodecs).sort());
  });

  it.each(Object.entries(samplePayloads))('decodes %s into { type: name, ...payload }', (name, payload) => {
    const decoded = decodeServerEvent(name, payload);
    expect(decoded).toEqual({ _tag: 'Right', right: { ...payload, type: name } });
  });

  it('keeps fields a newer server adds', () => {
    const decoded = decodeServerEvent('queue_cleared', { ...samplePayloads.queue_cleared, shiny_new_field: 1 });
    expect(isRight(decoded) && (decoded.right as unknown as Record<string, unknown>).shiny_new_field).toBe(1);
  });

  it('passes unknown event names through untouched', () => {
    const payload = { anything: [1, 2] };
    expect(decodeServerEvent('session_complete', payload)).toEqual({
      _tag: 'Right',
      right: { type: 'unknown', name: 'session_complete', payload },
    });
  });

  it('does not treat Object.prototype keys as event names', () => {
    expect(isKnownServerEventName('constructor')).toBe(false);
    expect(isKnownServerEventName('toString')).toBe(false);
  });

  it('reports a payload that does not fit with the event name and the paths', () => {
    const bad = { ...samplePayloads.invocation_progress, percentage: 'half', invocation: { id: 'p' } };
    const decoded = decodeServerEvent('invocation_progress', bad);
    expect(isLeft(decoded)).toBe(true);
    if (!isLeft(decoded)) return;
    expect(decoded.left.name).toBe('invocation_progress');
    expect(decoded.left.payload).toBe(bad);
    expect(decoded.left.issues.map((i) => i.path).sort()).toEqual(['$.invocation.type', '$.percentage']);
  });

  it('reports a status event with an unknown status', () => {
    const decoded = decodeServerEvent('queue_item_status_changed', { ...samplePayloads.queue_item_status_changed, status: 'zombie' });
    expect(isLeft(decoded) && decoded.left.issues.map((i) => i.path)).toEqual(['$.status']);
  });

  it('never throws: any name and any JSON payload give a value or an issue', () => {
    const names = fc.oneof(fc.constantFrom(...Object.keys(serverEventCodecs)), fc.string());
    fc.assert(
      fc.property(names, fc.jsonValue(), (name, payload) => {
        const decoded = decodeServerEvent(name, payload);
        if (isRight(decoded)) {
          expect(decoded.right.type === 'unknown' || decoded.right.type === name).toBe(true);
        } else {
          expect(decoded.left.issues.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});
