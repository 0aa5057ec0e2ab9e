// The pool's pure dispatch decisions: which server takes a run, and how a sweep is shared out.
import * as fc from 'fast-check';
import { ServerLoad, chooseServer, freeCapacity, leastLoaded, loadOf, roundRobin, shareByCapacity } from '../../lib/pool/dispatch';
import type { Workflow } from '../../lib/workflow/workflow';

const server = (index: number, over: Partial<ServerLoad> = {}): ServerLoad => ({
  index,
  url: `http://s${index}`,
  queued: 0,
  inFlight: 0,
  inFlightItems: 0,
  maxInFlight: 4,
  weight: 1,
  lastDispatch: 0,
  ...over,
});

const request = (candidates: ServerLoad[]) => ({ candidates, workflow: {} as Workflow, options: {} });

describe('dispatch strategies', () => {
  it('least loaded takes the larger of the queue counts and what the pool has in flight, per unit of weight', () => {
    // s0: 5 queued by others; s1: 3 of ours not yet counted by its queue; s2: weight 4 with 8 queued
    const servers = [server(0, { queued: 5 }), server(1, { queued: 0, inFlight: 1, inFlightItems: 3 }), server(2, { queued: 8, weight: 4 })];
    expect(servers.map(loadOf)).toEqual([5, 3, 2]);
    expect(leastLoaded(servers).index).toBe(2);
    expect(chooseServer('least-loaded', request(servers), -1).index).toBe(2);
  });

  it('least loaded breaks ties by the server that got a run least recently, then by position', () => {
    expect(leastLoaded([server(0, { lastDispatch: 7 }), server(1, { lastDispatch: 3 }), server(2, { lastDispatch: 5 })]).index).toBe(1);
    expect(leastLoaded([server(0), server(1), server(2)]).index).toBe(0);
    // a server whose counts are unknown yet counts what the pool sent it
    expect(leastLoaded([server(0, { queued: null, inFlight: 1, inFlightItems: 1 }), server(1, { queued: 0 })]).index).toBe(1);
  });

  it('round-robin continues after the last server and wraps around, skipping servers that are not candidates', () => {
    const candidates = [server(0), server(2), server(3)];
    expect(roundRobin(candidates, -1).index).toBe(0);
    expect(roundRobin(candidates, 0).index).toBe(2);
    expect(roundRobin(candidates, 2).index).toBe(3);
    expect(roundRobin(candidates, 3).index).toBe(0);
    let last = -1;
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      last = chooseServer('round-robin', request(candidates), last).index;
      order.push(last);
    }
    expect(order).toEqual([0, 2, 3, 0, 2, 3]);
  });

  it('a user function picks among the candidates; an answer outside them falls back to least loaded', () => {
    const candidates = [server(0, { queued: 3 }), server(1, { queued: 1 })];
    const asked: number[][] = [];
    const pickFirst = (r: { readonly candidates: ReadonlyArray<ServerLoad> }) => {
      asked.push(r.candidates.map((c) => c.index));
      return 0;
    };
    expect(chooseServer(pickFirst, request(candidates), -1).index).toBe(0);
    expect(asked).toEqual([[0, 1]]);
    expect(chooseServer(() => 7, request(candidates), -1).index).toBe(1);
  });
});

describe('shareByCapacity', () => {
  it('shares in proportion, the remainder to the largest fractions', () => {
    expect(shareByCapacity(10, [3, 1, 1])).toEqual([6, 2, 2]);
    expect(shareByCapacity(7, [1, 1, 1])).toEqual([3, 2, 2]);
    expect(shareByCapacity(5, [0, 2, 0])).toEqual([0, 5, 0]);
    expect(shareByCapacity(4, [0, 0])).toEqual([4, 0]);
  });

  it('always hands out exactly every item, nothing to a server without capacity, and each share within one of its exact proportion', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 100, noNaN: true })), { minLength: 1, maxLength: 6 }), (total, caps) => {
        const shares = shareByCapacity(total, caps);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
        const sum = caps.reduce((a, b) => a + b, 0);
        shares.forEach((share, i) => {
          expect(share).toBeGreaterThanOrEqual(0);
          if (sum > 0) {
            if (caps[i] === 0) expect(share).toBe(0);
            expect(Math.abs(share - (total * caps[i]) / sum)).toBeLessThan(1 + 1e-9);
          }
        });
      }),
    );
  });

  it('free capacity is zero for a full server and falls as its queue grows', () => {
    expect(freeCapacity(server(0, { inFlight: 4 }))).toBe(0);
    expect(freeCapacity(server(0, { queued: 0 }))).toBeGreaterThan(freeCapacity(server(0, { queued: 6 })));
    expect(freeCapacity(server(0, { weight: 2 }))).toBe(2 * freeCapacity(server(0)));
  });
});
