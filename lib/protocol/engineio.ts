// A pure codec for the frames of Engine.IO v4 carrying Socket.IO v5 packets, as sent over a
// WebSocket-only session (docs/server-contract.md, Socket transport). Decoding never throws: a
// frame it cannot read becomes a `malformed` or `unknown` packet that names the reason, so the
// caller can report and go on.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { isRecord } from '../internal/record';
import { formatPathIssues, toPathIssues } from './issues';

/** The Engine.IO open packet's handshake data. Old python-engineio omits `maxPayload`. */
export const Handshake = /*#__PURE__*/ t.intersection(
  [
    t.type({ sid: t.string, pingInterval: t.number, pingTimeout: t.number }),
    t.partial({ upgrades: t.array(t.string), maxPayload: t.number }),
  ],
  'Handshake',
);
/** The Engine.IO open packet's handshake data. */
export type Handshake = t.TypeOf<typeof Handshake>;

/** A frame decoded into one Engine.IO packet or one Socket.IO packet (inside an Engine.IO message). */
export type WirePacket =
  | { readonly type: 'open'; readonly handshake: Handshake }
  | { readonly type: 'close' }
  | { readonly type: 'ping'; readonly data: string }
  | { readonly type: 'pong'; readonly data: string }
  | { readonly type: 'upgrade' }
  | { readonly type: 'noop' }
  /** Socket.IO CONNECT: client→server carries the auth payload, server→client `{sid}`. */
  | { readonly type: 'connect'; readonly namespace: string; readonly data: unknown }
  | { readonly type: 'disconnect'; readonly namespace: string }
  | {
      readonly type: 'event';
      readonly namespace: string;
      readonly ackId: number | null;
      readonly name: string;
      readonly args: ReadonlyArray<unknown>;
    }
  | { readonly type: 'ack'; readonly namespace: string; readonly ackId: number; readonly args: ReadonlyArray<unknown> }
  | { readonly type: 'connect_error'; readonly namespace: string; readonly data: unknown };

/** A frame this codec understood but does not handle (a binary frame, an unknown packet type, binary attachments). */
export interface UnknownFrame {
  readonly type: 'unknown';
  readonly frame: string;
  readonly reason: string;
}

/** A frame that breaks the protocol (bad JSON, missing parts). */
export interface MalformedFrame {
  readonly type: 'malformed';
  readonly frame: string;
  readonly reason: string;
}

/** What decoding one frame yields. */
export type DecodedFrame = WirePacket | UnknownFrame | MalformedFrame;

/** The packets a client sends. */
export type OutgoingPacket = Extract<WirePacket, { type: 'pong' | 'close' | 'noop' | 'connect' | 'disconnect' | 'event' | 'ack' }>;

const DEFAULT_NAMESPACE = '/';
const MAX_FRAME_ECHO = 200;

const echo = (frame: string): string =>
  frame.length > MAX_FRAME_ECHO ? `${frame.slice(0, MAX_FRAME_ECHO)}... (${frame.length} chars)` : frame;

const malformed = (frame: string, reason: string): MalformedFrame => ({ type: 'malformed', frame: echo(frame), reason });
const unknown = (frame: string, reason: string): UnknownFrame => ({ type: 'unknown', frame: echo(frame), reason });

type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

const parseJson = (text: string): Parsed => {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: `its JSON does not parse (${error instanceof Error ? error.message : String(error)})` };
  }
};

const binarySize = (frame: unknown): number | undefined => {
  if (frame instanceof ArrayBuffer) return frame.byteLength;
  if (ArrayBuffer.isView(frame)) return frame.byteLength;
  if (typeof Blob !== 'undefined' && frame instanceof Blob) return frame.size;
  if (Array.isArray(frame) && frame.every((part) => ArrayBuffer.isView(part))) {
    return frame.reduce((sum: number, part: ArrayBufferView) => sum + part.byteLength, 0);
  }
  return undefined;
};

// `<type>[<#attachments>-][<namespace>,][<ack id>][<JSON>]`, the text after the Engine.IO `4`.
const decodeSocketPacket = (frame: string, text: string): DecodedFrame => {
  if (text.length === 0) return malformed(frame, 'an Engine.IO message without a Socket.IO packet');
  const kind = text.charCodeAt(0) - 48;
  if (kind < 0 || kind > 9) return malformed(frame, `"${text[0]}" is not a Socket.IO packet type`);
  if (kind > 6) return unknown(frame, `Socket.IO packet type ${kind} is not part of protocol v5`);
  if (kind === 5 || kind === 6) {
    return unknown(frame, 'binary Socket.IO packets are not supported (InvokeAI sends only JSON)');
  }
  let rest = text.slice(1);
  let namespace = DEFAULT_NAMESPACE;
  if (rest.startsWith('/')) {
    const comma = rest.indexOf(',');
    namespace = comma === -1 ? rest : rest.slice(0, comma);
    rest = comma === -1 ? '' : rest.slice(comma + 1);
  }
  // Most packets carry no ack id: the regex runs only when a digit follows.
  const first = rest.charCodeAt(0);
  const ackDigits = first >= 48 && first <= 57 ? /^\d+/.exec(rest)?.[0] : undefined;
  const ackId = ackDigits === undefined ? null : Number(ackDigits);
  if (ackDigits !== undefined) rest = rest.slice(ackDigits.length);
  if (ackId !== null && !Number.isSafeInteger(ackId)) return malformed(frame, 'its ack id is too large');
  let data: unknown = undefined;
  if (rest.length > 0) {
    const parsed = parseJson(rest);
    if (!parsed.ok) return malformed(frame, parsed.reason);
    data = parsed.value;
  }
  switch (kind) {
    case 0:
      if (data !== undefined && !isRecord(data)) return malformed(frame, 'a CONNECT payload must be an object');
      return { type: 'connect', namespace, data };
    case 1:
      return { type: 'disconnect', namespace };
    case 2: {
      const items: ReadonlyArray<unknown> | undefined = Array.isArray(data) ? data : undefined;
      const name = items?.[0];
      if (items === undefined || typeof name !== 'string') {
        return malformed(frame, 'an EVENT payload must be an array starting with the event name');
      }
      return { type: 'event', namespace, ackId, name, args: items.slice(1) };
    }
    case 3:
      if (ackId === null) return malformed(frame, 'an ACK needs an ack id');
      if (!Array.isArray(data)) return malformed(frame, 'an ACK payload must be an array');
      return { type: 'ack', namespace, ackId, args: data };
    default:
      // CONNECT_ERROR: v5 sends `{message, data?}`, v4 servers sent a bare string.
      if (data === undefined) return malformed(frame, 'a CONNECT_ERROR needs a payload');
      return { type: 'connect_error', namespace, data };
  }
};

/**
 * Decodes one WebSocket frame of an Engine.IO v4 session. Binary frames are reported as `unknown`.
 *
 * @example
 * decodeFrame('42["queue_cleared",{"queue_id":"default"}]');
 * // { type: 'event', namespace: '/', ackId: null, name: 'queue_cleared', args: [{ queue_id: 'default' }] }
 * @internal
 */
export const decodeFrame = (frame: unknown): DecodedFrame => {
  if (typeof frame !== 'string') {
    const size = binarySize(frame);
    return size === undefined
      ? unknown(`<${typeof frame}>`, 'a frame that is neither text nor binary')
      : unknown(`<binary, ${size} bytes>`, 'binary frames are ignored (InvokeAI sends only text)');
  }
  if (frame.length === 0) return malformed(frame, 'an empty frame');
  const body = frame.slice(1);
  switch (frame[0]) {
    case '0': {
      const parsed = parseJson(body);
      if (!parsed.ok) return malformed(frame, `the open packet: ${parsed.reason}`);
      const decoded = Handshake.decode(parsed.value);
      if (isLeft(decoded)) {
        return malformed(frame, `the open packet is missing handshake data:\n${formatPathIssues(toPathIssues(decoded.left))}`);
      }
      return { type: 'open', handshake: decoded.right };
    }
    case '1':
      return { type: 'close' };
    case '2':
      return { type: 'ping', data: body };
    case '3':
      return { type: 'pong', data: body };
    case '4':
      return decodeSocketPacket(frame, body);
    case '5':
      return { type: 'upgrade' };
    case '6':
      return { type: 'noop' };
    default:
      return /\d/.test(frame[0])
        ? unknown(frame, `Engine.IO packet type ${frame[0]} is not part of protocol v4`)
        : malformed(frame, `"${frame[0]}" is not an Engine.IO packet type`);
  }
};

/** A Socket.IO EVENT's JSON array: the event name, then its arguments. */
export type EventArray = readonly [string, ...unknown[]];

/**
 * Reads the frame that carries most of a session's traffic, a plain Socket.IO EVENT (`42[...]`: the
 * default namespace, no ack id): its JSON array, name first, which is what `decodeFrame` would read
 * into an `event` packet, without building the packet. `undefined` for any other frame, and for one
 * whose JSON does not parse or whose array does not start with a name: `decodeFrame` reads and
 * reports those.
 */
export const readEventFrame = (frame: unknown): EventArray | undefined => {
  // '4' (Engine.IO message), '2' (Socket.IO EVENT), '[' (no namespace, no ack id before the JSON).
  if (typeof frame !== 'string' || frame.charCodeAt(0) !== 52 || frame.charCodeAt(1) !== 50 || frame.charCodeAt(2) !== 91) return undefined;
  let items: unknown;
  try {
    items = JSON.parse(frame.slice(2));
  } catch {
    return undefined;
  }
  return Array.isArray(items) && typeof items[0] === 'string' ? (items as unknown as EventArray) : undefined;
};

const namespacePrefix = (namespace: string): string => (namespace === DEFAULT_NAMESPACE ? '' : `${namespace},`);

/**
 * Encodes one client packet as a text frame. The result may hold the auth token: never log it.
 *
 * @example
 * encodePacket({ type: 'event', namespace: '/', ackId: null, name: 'subscribe_queue', args: [{ queue_id: 'default' }] });
 * // '42["subscribe_queue",{"queue_id":"default"}]'
 * @internal
 */
export const encodePacket = (packet: OutgoingPacket): string => {
  switch (packet.type) {
    case 'pong':
      return `3${packet.data}`;
    case 'close':
      return '1';
    case 'noop':
      return '6';
    case 'connect':
      return `40${namespacePrefix(packet.namespace)}${packet.data === undefined ? '' : JSON.stringify(packet.data)}`;
    case 'disconnect':
      return `41${namespacePrefix(packet.namespace)}`;
    case 'event':
      return `42${namespacePrefix(packet.namespace)}${packet.ackId ?? ''}${JSON.stringify([packet.name, ...packet.args])}`;
    case 'ack':
      return `43${namespacePrefix(packet.namespace)}${packet.ackId}${JSON.stringify(packet.args)}`;
  }
};

/** The CONNECT frame for the default namespace, with the auth payload when a token is set. */
export const connectFrame = (auth?: Readonly<Record<string, unknown>>): string =>
  encodePacket({ type: 'connect', namespace: DEFAULT_NAMESPACE, data: auth });

/** An EVENT frame for the default namespace, e.g. `emitFrame('subscribe_queue', {queue_id: 'default'})`. */
export const emitFrame = (name: string, ...args: ReadonlyArray<unknown>): string =>
  encodePacket({ type: 'event', namespace: DEFAULT_NAMESPACE, ackId: null, name, args });

/** The pong that answers a ping (echoing its data, e.g. `probe`). */
export const pongFrame = (pingData = ''): string => encodePacket({ type: 'pong', data: pingData });
