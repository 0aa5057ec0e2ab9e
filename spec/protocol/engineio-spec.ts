import * as fc from 'fast-check';
import { decodeFrame, encodePacket, connectFrame, emitFrame, pongFrame, readEventFrame, DecodedFrame, OutgoingPacket } from '../../lib/protocol/engineio';

const handshake = { sid: 'l5Tr', upgrades: [], pingInterval: 300, pingTimeout: 200, maxPayload: 1000000 };

describe('decodeFrame: every packet the servers send', () => {
  const table: ReadonlyArray<[string, string, DecodedFrame]> = [
    ['npm open', `0${JSON.stringify(handshake)}`, { type: 'open', handshake }],
    [
      'python-engineio open (no maxPayload)',
      '0{"sid":"Jn2d","upgrades":[],"pingTimeout":1000,"pingInterval":1000}',
      { type: 'open', handshake: { sid: 'Jn2d', upgrades: [], pingTimeout: 1000, pingInterval: 1000 } },
    ],
    ['close', '1', { type: 'close' }],
    ['ping', '2', { type: 'ping', data: '' }],
    ['ping probe', '2probe', { type: 'ping', data: 'probe' }],
    ['pong', '3', { type: 'pong', data: '' }],
    ['upgrade', '5', { type: 'upgrade' }],
    ['noop', '6', { type: 'noop' }],
    ['client connect', '40', { type: 'connect', namespace: '/', data: undefined }],
    ['client connect with auth', '40{"token":"t"}', { type: 'connect', namespace: '/', data: { token: 't' } }],
    ['connected', '40{"sid":"zcfV"}', { type: 'connect', namespace: '/', data: { sid: 'zcfV' } }],
    ['connected in a namespace', '40/admin,{"sid":"x"}', { type: 'connect', namespace: '/admin', data: { sid: 'x' } }],
    ['namespace connect without payload', '40/admin,', { type: 'connect', namespace: '/admin', data: undefined }],
    ['namespace without comma', '41/admin', { type: 'disconnect', namespace: '/admin' }],
    ['disconnect', '41', { type: 'disconnect', namespace: '/' }],
    [
      'event',
      '42["queue_item_status_changed",{"item_id":1,"status":"completed"}]',
      { type: 'event', namespace: '/', ackId: null, name: 'queue_item_status_changed', args: [{ item_id: 1, status: 'completed' }] },
    ],
    ['event without args', '42["ping_me"]', { type: 'event', namespace: '/', ackId: null, name: 'ping_me', args: [] }],
    ['event with ack id', '4213["x",1,2]', { type: 'event', namespace: '/', ackId: 13, name: 'x', args: [1, 2] }],
    ['event in a namespace with ack id', '42/admin,7["x"]', { type: 'event', namespace: '/admin', ackId: 7, name: 'x', args: [] }],
    ['ack', '431["ok"]', { type: 'ack', namespace: '/', ackId: 1, args: ['ok'] }],
    [
      'connect error (v5)',
      '44{"message":"nope","data":"ERR_UNAUTHENTICATED"}',
      { type: 'connect_error', namespace: '/', data: { message: 'nope', data: 'ERR_UNAUTHENTICATED' } },
    ],
    [
      'connect error (python-socketio)',
      '44{"message":"Connection rejected by server"}',
      { type: 'connect_error', namespace: '/', data: { message: 'Connection rejected by server' } },
    ],
    ['connect error (v4 string)', '44"Not authorized"', { type: 'connect_error', namespace: '/', data: 'Not authorized' }],
  ];
  it.each(table)('%s: %s', (_label, frame, expected) => {
    expect(decodeFrame(frame)).toEqual(expected);
  });
});

describe('decodeFrame: frames it reports instead of handling', () => {
  const table: ReadonlyArray<[string, unknown, 'malformed' | 'unknown', RegExp]> = [
    ['empty frame', '', 'malformed', /empty/],
    ['open with bad JSON', '0{"sid":', 'malformed', /JSON/],
    ['open without ping times', '0{"sid":"a"}', 'malformed', /pingInterval/],
    ['open with a string sid number', '0{"sid":1,"pingInterval":1,"pingTimeout":1}', 'malformed', /\$\.sid/],
    ['unknown engine.io type', '7', 'unknown', /type 7/],
    ['not an engine.io type', 'x', 'malformed', /not an Engine.IO packet type/],
    ['message without socket.io packet', '4', 'malformed', /without a Socket.IO packet/],
    ['not a socket.io type', '4x', 'malformed', /not a Socket.IO packet type/],
    ['unknown socket.io type', '48', 'unknown', /type 8/],
    ['binary event', '451-["x",{"_placeholder":true,"num":0}]', 'unknown', /binary/],
    ['binary ack', '461-0[{"_placeholder":true,"num":0}]', 'unknown', /binary/],
    ['event with broken JSON', '42["x",', 'malformed', /JSON/],
    ['event that is not an array', '42{"a":1}', 'malformed', /array/],
    ['event without a name', '42[]', 'malformed', /event name/],
    ['event whose name is a number', '42[1,2]', 'malformed', /event name/],
    ['connect with an array', '40[1]', 'malformed', /object/],
    ['ack without id', '43["ok"]', 'malformed', /ack id/],
    ['ack that is not an array', '431{"a":1}', 'malformed', /array/],
    ['connect error without payload', '44', 'malformed', /payload/],
    ['huge ack id', '4299999999999999999999["x"]', 'malformed', /too large/],
    ['binary frame (Buffer)', Buffer.from([1, 2, 3]), 'unknown', /binary/],
    ['binary frame (ArrayBuffer)', new ArrayBuffer(4), 'unknown', /binary/],
    ['fragmented binary frame', [Buffer.from([1]), Buffer.from([2])], 'unknown', /binary/],
    ['not a frame at all', 42, 'unknown', /neither text nor binary/],
  ];
  it.each(table)('%s', (_label, frame, type, reason) => {
    const decoded = decodeFrame(frame);
    expect(decoded.type).toBe(type);
    if (decoded.type === 'malformed' || decoded.type === 'unknown') expect(decoded.reason).toMatch(reason);
  });

  it('shortens a huge frame in its report', () => {
    const decoded = decodeFrame(`42["x",${'1'.repeat(10000)}`);
    expect(decoded.type === 'malformed' && decoded.frame.length).toBeLessThan(300);
  });
});

describe('encodePacket', () => {
  it.each([
    ['pong', pongFrame(), '3'],
    ['pong echoing probe', pongFrame('probe'), '3probe'],
    ['connect without auth', connectFrame(), '40'],
    ['connect with auth', connectFrame({ token: 'abc' }), '40{"token":"abc"}'],
    ['subscribe_queue', emitFrame('subscribe_queue', { queue_id: 'default' }), '42["subscribe_queue",{"queue_id":"default"}]'],
    ['disconnect', encodePacket({ type: 'disconnect', namespace: '/' }), '41'],
    ['close', encodePacket({ type: 'close' }), '1'],
    ['noop', encodePacket({ type: 'noop' }), '6'],
    ['event with ack in namespace', encodePacket({ type: 'event', namespace: '/a', ackId: 3, name: 'e', args: [1] }), '42/a,3["e",1]'],
    ['ack', encodePacket({ type: 'ack', namespace: '/', ackId: 5, args: [] }), '435[]'],
  ])('%s', (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });

  const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
  const namespace = fc.constantFrom('/', '/admin', '/a-b');
  const outgoing: fc.Arbitrary<OutgoingPacket> = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', 'p', '1') }).map((data): OutgoingPacket => ({ type: 'pong', data })),
    fc.constant<OutgoingPacket>({ type: 'close' }),
    fc.constant<OutgoingPacket>({ type: 'noop' }),
    fc.record({ namespace, data: fc.option(fc.dictionary(fc.string(), json), { nil: undefined }) }).map(
      ({ namespace, data }): OutgoingPacket => ({ type: 'connect', namespace, data }),
    ),
    namespace.map((ns): OutgoingPacket => ({ type: 'disconnect', namespace: ns })),
    fc.record({ namespace, ackId: fc.option(fc.nat(), { nil: null }), name: fc.string(), args: fc.array(json) }).map(
      (p): OutgoingPacket => ({ type: 'event', ...p }),
    ),
    fc.record({ namespace, ackId: fc.nat(), args: fc.array(json) }).map((p): OutgoingPacket => ({ type: 'ack', ...p })),
  );

  it('round-trips: decode(encode(p)) is p for every client packet', () => {
    fc.assert(fc.property(outgoing, (packet) => expect(decodeFrame(encodePacket(packet))).toEqual(packet)));
  });
});

describe('decodeFrame never throws', () => {
  const packetish = fc.oneof(
    fc.string(),
    fc.tuple(fc.constantFrom('0', '1', '2', '3', '4', '40', '41', '42', '43', '44', '45', '4/x,', '42/x,1'), fc.string()).map(([a, b]) => a + b),
    fc.tuple(fc.constantFrom('0', '40', '42', '44', '431'), fc.jsonValue()).map(([a, b]) => a + JSON.stringify(b)),
  );
  it('any string yields a packet or a typed malformed/unknown result with a reason', () => {
    fc.assert(
      fc.property(packetish, (frame) => {
        const decoded = decodeFrame(frame);
        expect(typeof decoded.type).toBe('string');
        if (decoded.type === 'malformed' || decoded.type === 'unknown') expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('readEventFrame (the socket\'s path for plain events)', () => {
  it('reads the JSON array of a plain EVENT, name first', () => {
    expect(readEventFrame('42["queue_cleared",{"queue_id":"default"}]')).toEqual(['queue_cleared', { queue_id: 'default' }]);
    expect(readEventFrame('42["ping_me"]')).toEqual(['ping_me']);
  });

  it.each([
    ['a namespace', '42/admin,["x",{}]'],
    ['an ack id', '421["x",{}]'],
    ['JSON that does not parse', '42["x",'],
    ['an array without a name', '42[1,{}]'],
    ['an object', '42{"x":1}'],
    ['a ping', '2'],
    ['binary', new Uint8Array([52, 50, 91])],
  ])('leaves a frame with %s to decodeFrame', (_label, frame) => {
    expect(readEventFrame(frame)).toBeUndefined();
  });

  it('reads exactly the frames decodeFrame reads as default-namespace events without an ack id, with the same name and arguments', () => {
    const frames = fc.oneof(
      fc.string(),
      fc.tuple(fc.constantFrom('42', '421', '42/x,', '43', '4'), fc.jsonValue()).map(([a, b]) => a + JSON.stringify(b)),
      fc.tuple(fc.constantFrom('42', '42/x,'), fc.string(), fc.array(fc.jsonValue(), { maxLength: 3 })).map(([a, name, args]) => a + JSON.stringify([name, ...args])),
    );
    let read = 0;
    fc.assert(
      fc.property(frames, (frame) => {
        const items = readEventFrame(frame);
        const decoded = decodeFrame(frame);
        const plain = decoded.type === 'event' && decoded.namespace === '/' && decoded.ackId === null;
        expect(items !== undefined).toBe(plain);
        if (plain) {
          read += 1;
          expect(items).toEqual([decoded.name, ...decoded.args]);
        }
      }),
      { numRuns: 3000 },
    );
    // Both sides of the property were exercised.
    expect(read).toBeGreaterThan(100);
  });
});
