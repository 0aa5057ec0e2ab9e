// Fuzzing `decodeServerEvent`, the decoder of every socket event: random JSON and mutated valid
// payloads of every event name give a typed event or a `DecodeIssue`, never a throw; unknown
// extra fields never break a valid payload. (Random name + random JSON is in spec/protocol/events-spec.ts.)
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/Either';
import { serverEventCodecs } from '../../lib/protocol/events';
import { decodeServerEvent } from '../../lib/protocol/events-decode';
import { samplePayloads } from '../protocol/event-samples';
import { anyJson, extended, mutated } from './mutate';

const names = Object.keys(serverEventCodecs) as Array<keyof typeof serverEventCodecs>;

/** Plain checks (no expect: fast-check runs thousands of cases). */
const assertTyped = (name: string, payload: unknown): void => {
  const decoded = decodeServerEvent(name, payload);
  if (isRight(decoded)) {
    if (decoded.right.type !== name) throw new Error(`decoded ${name} as ${decoded.right.type}`);
    return;
  }
  const issue = decoded.left;
  if (issue.name !== name) throw new Error(`issue names ${issue.name}, not ${name}`);
  if (issue.payload !== payload) throw new Error('the issue does not carry the raw payload');
  if (issue.issues.length === 0) throw new Error(`an issue of ${name} without problems`);
  for (const i of issue.issues) {
    if (!i.path.startsWith('$') || typeof i.message !== 'string' || i.message.length === 0) throw new Error(`a problem without path or message: ${JSON.stringify(i)}`);
  }
};

describe('decodeServerEvent under fuzzing', () => {
  it('has a valid sample for every event name (the base of the mutations)', () => {
    for (const name of names) expect(isRight(decodeServerEvent(name, samplePayloads[name]))).toBe(true);
  });

  it.each(names)('%s: mutated valid payloads give the event or an issue with paths, never a throw', (name) => {
    fc.assert(fc.property(mutated(samplePayloads[name]), (payload) => assertTyped(name, payload)), { numRuns: 300 });
  });

  it.each(names)('%s: extra unknown fields never break a valid payload, and are kept', (name) => {
    fc.assert(
      fc.property(extended(samplePayloads[name]), (payload) => {
        const decoded = decodeServerEvent(name, payload);
        if (isLeft(decoded)) throw new Error(`extra fields broke ${name}: ${JSON.stringify(decoded.left.issues)}`);
        for (const key of Object.keys(payload)) if (!(key in decoded.right)) throw new Error(`field ${key} was dropped`);
      }),
      { numRuns: 100 },
    );
  });

  it('any JSON as the payload of any known event gives the event or an issue', () => {
    fc.assert(fc.property(fc.constantFrom(...names), anyJson, (name, payload) => assertTyped(name, payload)), { numRuns: 2000 });
  });

  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).length;
  it('payloads with hostile keys (__proto__, constructor) neither throw nor pollute prototypes', () => {
    const hostile = fc.constantFrom(...names).chain((name) =>
      fc.tuple(fc.constant(name), fc.constantFrom('__proto__', 'constructor', 'prototype'), anyJson),
    );
    fc.assert(
      fc.property(hostile, ([name, key, value]) => {
        const payload = JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},${JSON.stringify(samplePayloads[name]).slice(1)}`) as unknown;
        assertTyped(name, payload);
        const decoded = decodeServerEvent(name, payload);
        if (isRight(decoded) && Object.getPrototypeOf(decoded.right) !== Object.prototype) throw new Error('the event got a foreign prototype');
        if (Object.getOwnPropertyNames(Object.prototype).length !== prototypeKeys) throw new Error('Object.prototype was polluted');
      }),
      { numRuns: 300 },
    );
  });
});
