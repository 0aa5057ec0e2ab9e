// Decoding one socket event: the hot events through their hand-written checks, every other known
// event through its io-ts codec, unknown names passed through.
import * as t from 'io-ts';
import { Either, left, right, isLeft } from 'fp-ts/Either';
import { ServerEvent, isKnownServerEventName, serverEventCodecs } from './events';
import { EventTagger, decodeHotEvent, tagInPlace, withEventType } from './events-fastpath';
import { PathIssue, toPathIssues } from './issues';

/** A known event whose payload did not decode: the event name, each problem by path, and the raw payload. */
export interface EventDecodeIssue {
  readonly name: string;
  readonly issues: ReadonlyArray<PathIssue>;
  readonly payload: unknown;
}

const decodeEvent = (name: string, payload: unknown, tag: EventTagger): Either<EventDecodeIssue, ServerEvent> => {
  // The hot events (all known names) first meet a hand-written check that accepts exactly what
  // their codec accepts; those codecs never transform, so an accepted payload is its own value.
  const hot = decodeHotEvent(name, payload, tag);
  if (hot !== undefined) return right(hot);
  if (!isKnownServerEventName(name)) return right({ type: 'unknown', name, payload });
  const codec: t.Decoder<unknown, object> = serverEventCodecs[name];
  const result = codec.decode(payload);
  if (isLeft(result)) return left({ name, issues: toPathIssues(result.left), payload });
  // The codec for `name` produced the value, so the pair (name, value) is that member of the union.
  return right(tag(result.right, name) as ServerEvent);
};

/**
 * Decodes one socket event (name and first argument) into a `ServerEvent`. Unknown names pass
 * through as `{type: 'unknown'}`; a known name with a payload that does not fit is a `EventDecodeIssue`.
 *
 * @example
 * import { decodeServerEvent } from 'invokeai-rx';
 * const decoded = decodeServerEvent('queue_cleared', { timestamp: 1, queue_id: 'default', user_id: null });
 * // right({ type: 'queue_cleared', timestamp: 1, queue_id: 'default', user_id: null })
 */
export const decodeServerEvent = (name: string, payload: unknown): Either<EventDecodeIssue, ServerEvent> =>
  decodeEvent(name, payload, withEventType);

/**
 * `decodeServerEvent` for a payload its caller has just parsed from a frame and hands over: a
 * decoded event is that object with `type` set, not a copy. The socket connection uses it.
 */
export const decodeParsedServerEvent = (name: string, payload: unknown): Either<EventDecodeIssue, ServerEvent> =>
  decodeEvent(name, payload, tagInPlace);
