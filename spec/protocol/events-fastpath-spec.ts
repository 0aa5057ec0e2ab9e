// The hand-written checks of the hot events must accept exactly what their io-ts codecs accept and
// decode to the same value; a payload they reject must give the codec's own issues.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'util';
import { isLeft, isRight } from 'fp-ts/Either';
import { decodeHotEvent, withEventType } from '../../lib/protocol/events-fastpath';
import { serverEventCodecs } from '../../lib/protocol/events';
import { decodeParsedServerEvent, decodeServerEvent } from '../../lib/protocol/events-decode';
import { toPathIssues } from '../../lib/protocol/issues';
import { anyJson, extended, mutated, nastyValue, pathsOf, setAt } from '../fuzz/mutate';
import { samplePayloads } from './event-samples';
import denoiseProgress from '../fixtures/socket-events/denoise-latents-progress.json';

const hotNames = ['invocation_started', 'invocation_progress', 'invocation_complete', 'queue_item_status_changed'] as const;
type HotName = (typeof hotNames)[number];

// What `decodeServerEvent` returned before the fast path: the codec's value with the name as `type`.
const codecDecode = (name: HotName, payload: unknown): { accepted: boolean; value?: unknown; issues?: unknown } => {
  const result = serverEventCodecs[name].decode(payload);
  return isLeft(result)
    ? { accepted: false, issues: toPathIssues(result.left) }
    : { accepted: true, value: { ...(result.right as object), type: name } };
};

// A deep copy in this realm (jest's `structuredClone` makes objects of another realm), keeping
// `-0` and own `__proto__` keys: what parsing the same frame again would give.
const deepCopy = (u: unknown): unknown =>
  Array.isArray(u)
    ? u.map(deepCopy)
    : typeof u === 'object' && u !== null
      ? Object.fromEntries(Object.entries(u).map(([k, v]) => [k, deepCopy(v)]))
      : u;

// Plain throws (no expect): fast-check runs thousands of cases. Deep-strict equality also compares
// prototypes; key order is compared separately since it shows in JSON.stringify and logs.
const assertAgree = (name: HotName, payload: unknown, tally: { accepted: number; rejected: number }): void => {
  const fast = decodeHotEvent(name, payload);
  const codec = codecDecode(name, payload);
  if ((fast !== undefined) !== codec.accepted) {
    throw new Error(`${name}: fast path ${fast !== undefined ? 'accepts' : 'rejects'}, codec ${codec.accepted ? 'accepts' : 'rejects'} ${JSON.stringify(payload)}`);
  }
  const decoded = decodeServerEvent(name, payload);
  // The socket's variant tags its own freshly parsed payload in place: same outcome, same value
  // (each side gets its own copy, as two parses of one frame would).
  const parsed = decodeParsedServerEvent(name, deepCopy(payload));
  if (!isDeepStrictEqual(parsed, decodeServerEvent(name, deepCopy(payload)))) {
    throw new Error(`${name}: decodeParsedServerEvent differs from decodeServerEvent for ${JSON.stringify(payload)}`);
  }
  if (codec.accepted) {
    tally.accepted++;
    if (!isDeepStrictEqual(fast, codec.value)) throw new Error(`${name}: decoded values differ for ${JSON.stringify(payload)}`);
    if (Object.keys(fast as object).join() !== Object.keys(codec.value as object).join()) throw new Error(`${name}: key order differs`);
    if (!isRight(decoded) || !isDeepStrictEqual(decoded.right, codec.value)) throw new Error(`${name}: decodeServerEvent differs from the codec`);
  } else {
    tally.rejected++;
    if (!isLeft(decoded) || !isDeepStrictEqual(decoded.left.issues, codec.issues) || decoded.left.payload !== payload) {
      throw new Error(`${name}: the issues of a rejected payload are not the codec's`);
    }
  }
};

// Valid payloads with extra fields, then mutated: near-misses on every path, nested ones included.
const payloadsOf = (name: HotName): fc.Arbitrary<unknown> => {
  const sample = samplePayloads[name];
  // A variant without the optional fields, so that "optional field set to a nasty value" is reached too.
  const { user_id: _u, device: _d, status_sequence: _s, ...bare } = sample;
  return fc.oneof(
    anyJson,
    extended(sample),
    mutated(sample, 1),
    mutated(sample, 3),
    mutated(bare, 1),
    extended(sample).chain((value) => mutated(value, 2)),
    // Optional and nested fields a newer or older server may set or drop.
    fc.tuple(fc.constantFrom(...pathsOf(sample).filter((p) => p.length > 0)), nastyValue).map(([path, value]) => setAt(sample, path, value)),
  );
};

describe('decodeHotEvent (the fast path of decodeServerEvent)', () => {
  it.each(hotNames)('accepts and rejects exactly what the %s codec does, with the same value and issues', (name) => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(payloadsOf(name), (payload) => assertAgree(name, payload, tally)), { numRuns: 3000 });
    // Both sides of the property must have been exercised, or it proved nothing.
    expect(tally.accepted).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
  });

  it.each(hotNames)('decodes the %s sample itself, keeping unknown fields', (name) => {
    const payload = { ...samplePayloads[name], x_new_field: { nested: [1] } };
    const decoded = decodeHotEvent(name, payload);
    expect(decoded).toEqual({ ...payload, type: name });
    expect(decoded).not.toBe(payload);
  });

  it('agrees with the codecs on payloads with an own "__proto__" key (JSON.parse makes one) and keeps the prototype', () => {
    for (const name of hotNames) {
      const payload: unknown = JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(samplePayloads[name]).slice(1)}`);
      assertAgree(name, payload, { accepted: 0, rejected: 0 });
      const decoded = decodeHotEvent(name, payload) as unknown as Record<string, unknown>;
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(decoded, '__proto__')).toBe(true);
      expect(decoded.polluted).toBeUndefined();
    }
  });

  it('accepts the denoise progress payloads the socket bench sends (captured from the simulator), as the codec does', () => {
    expect(denoiseProgress).toHaveLength(16);
    denoiseProgress.forEach((payload, step) => {
      expect(decodeHotEvent('invocation_progress', payload)).toEqual({ ...payload, type: 'invocation_progress' });
      expect(isRight(serverEventCodecs.invocation_progress.decode(payload))).toBe(true);
      // Previews on every other step, as InvokeAI sends them.
      expect(payload.image === null).toBe(step % 2 === 1);
    });
  });

  it('rejects an inherited status name the codec rejects', () => {
    for (const status of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      assertAgree('queue_item_status_changed', { ...samplePayloads.queue_item_status_changed, status }, { accepted: 0, rejected: 0 });
    }
  });

  it('decodeParsedServerEvent tags the payload it is given instead of copying it; decodeServerEvent never touches its input', () => {
    const owned = { ...samplePayloads.invocation_progress };
    const decoded = decodeParsedServerEvent('invocation_progress', owned);
    expect(isRight(decoded) && decoded.right).toBe(owned);
    const input = { ...samplePayloads.invocation_progress };
    const copy = decodeServerEvent('invocation_progress', input);
    expect(isRight(copy) && copy.right).not.toBe(input);
    expect(input).toEqual(samplePayloads.invocation_progress);
  });

  it('leaves other event names to the codecs', () => {
    expect(decodeHotEvent('queue_cleared', samplePayloads.queue_cleared)).toBeUndefined();
    expect(decodeHotEvent('invocation_error', samplePayloads.invocation_error)).toBeUndefined();
  });
});

describe('withEventType', () => {
  it('is { ...payload, type } for any JSON object: same keys, order, values and prototype', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('type', '__proto__', 'a', 'b', 'constructor', 'x'), anyJson), (record) => {
        const payload = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
        const tagged = withEventType(payload, 'invocation_progress');
        const spread = { ...payload, type: 'invocation_progress' };
        return (
          isDeepStrictEqual(tagged, spread) &&
          Object.keys(tagged).join() === Object.keys(spread).join() &&
          Object.getPrototypeOf(tagged) === Object.prototype
        );
      }),
      { numRuns: 1000 },
    );
  });
});
