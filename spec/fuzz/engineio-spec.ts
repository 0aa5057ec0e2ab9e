// Fuzzing the Engine.IO / Socket.IO frame decoder beyond spec/protocol/engineio-spec.ts (which has
// the client-packet round trip and "any string never throws"): binary and non-string frames,
// character-level mutations of real server frames, and the guarantees a caller relies on.
import fc from 'fast-check';
import { decodeFrame, DecodedFrame } from '../../lib/protocol/engineio';
import { samplePayloads } from '../protocol/event-samples';

const KNOWN_TYPES = new Set(['open', 'close', 'ping', 'pong', 'upgrade', 'noop', 'connect', 'disconnect', 'event', 'ack', 'connect_error', 'unknown', 'malformed']);

/** Frames a real server sends: the handshake, connects, pings and one event of every name. */
const REAL_FRAMES: readonly string[] = [
  '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
  '40{"sid":"xyz"}',
  '2',
  '3probe',
  '44{"message":"Connection rejected by server"}',
  '41',
  '6',
  ...Object.entries(samplePayloads).map(([name, payload]) => `42${JSON.stringify([name, payload])}`),
];

/** A real frame with characters inserted, deleted or replaced (what a broken proxy delivers). */
const mutatedFrame: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...REAL_FRAMES),
    fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace', 'truncate'), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([frame, edits]) =>
    edits.reduce((f, [op, at, text]) => {
      const i = f.length === 0 ? 0 : at % f.length;
      if (op === 'insert') return f.slice(0, i) + text + f.slice(i);
      if (op === 'delete') return f.slice(0, i) + f.slice(i + 1);
      if (op === 'replace') return f.slice(0, i) + text + f.slice(i + 1);
      return f.slice(0, i);
    }, frame),
  );

/** Everything a WebSocket `message` event may carry, and some things it should not. */
const anyFrameData: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  mutatedFrame,
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 64 }).map((b) => b.buffer),
  fc.uint8Array({ maxLength: 64 }),
  fc.array(fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)), { maxLength: 3 }),
  fc.constantFrom(null, undefined, 42, true, {}, [], Symbol.iterator),
);

/** The contract of a decoded frame, as plain checks. */
const assertContract = (input: unknown, d: DecodedFrame): void => {
  if (!KNOWN_TYPES.has(d.type)) throw new Error(`unknown result type ${d.type}`);
  if (d.type === 'malformed' || d.type === 'unknown') {
    if (typeof d.reason !== 'string' || d.reason.length === 0) throw new Error('a rejected frame without a reason');
    // The echo is bounded, so that a 10 MB frame does not end up in a log line whole.
    if (d.frame.length > 260) throw new Error(`an echo of ${d.frame.length} chars`);
  }
  if (d.type === 'event') {
    if (typeof d.name !== 'string' || !Array.isArray(d.args)) throw new Error('an event without name or args');
    if (d.ackId !== null && !Number.isSafeInteger(d.ackId)) throw new Error('an unsafe ack id');
  }
  if (typeof input !== 'string' && d.type !== 'unknown') throw new Error(`a non-text frame decoded as ${d.type}`);
};

describe('decodeFrame under fuzzing', () => {
  it('decodes every real frame it is mutated from', () => {
    for (const f of REAL_FRAMES) expect(['malformed', 'unknown']).not.toContain(decodeFrame(f).type);
  });

  it('any frame data (text, mutated real frames, binary, non-frames) gives a packet or a typed rejection', () => {
    fc.assert(
      fc.property(anyFrameData, (data) => assertContract(data, decodeFrame(data))),
      { numRuns: 5000 },
    );
  });

  it('is a pure function: the same frame always decodes the same way', () => {
    fc.assert(fc.property(mutatedFrame, (f) => expect(decodeFrame(f)).toEqual(decodeFrame(f))), { numRuns: 500 });
  });

  it('an event frame with any JSON arguments decodes to that name and those arguments', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown), { maxLength: 3 }), (name, args) => {
        const d = decodeFrame(`42${JSON.stringify([name, ...args])}`);
        expect(d).toEqual({ type: 'event', namespace: '/', ackId: null, name, args });
      }),
      { numRuns: 500 },
    );
  });

  it('huge frames are rejected or decoded without echoing them whole', () => {
    const big = `42["invocation_progress",${JSON.stringify({ pad: 'x'.repeat(2_000_000) })}`; // no closing bracket
    const d = decodeFrame(big);
    expect(d.type).toBe('malformed');
    assertContract(big, d);
  });
});
