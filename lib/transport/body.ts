// Reading an answer's body under a byte limit, counted as it arrives (after the fetch implementation
// decompressed it), so an endless or decompression-bomb answer stops at the limit instead of
// filling memory. Works on the body streams of the fetch implementations in use: a WHATWG
// `ReadableStream` (browsers, Node's global fetch) and a Node stream (node-fetch, under cross-fetch).

/** A body stream as fetch implementations expose it: a WHATWG `ReadableStream`, or a Node `Readable` (async-iterable). */
export type BodyStream = ReadableStreamLike | NodeStreamLike;

/** A WHATWG `ReadableStream`, as far as the readers use it. */
interface ReadableStreamLike {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> };
  cancel?(reason?: unknown): Promise<void>;
}

/** A Node `Readable`, as far as the readers use it. */
type NodeStreamLike = AsyncIterable<Uint8Array> & { destroy?(error?: Error): void };

/** A Node `Readable` read by its events: faster than its async iterator, which costs a promise per chunk. */
interface NodeEmitterLike {
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  destroy?(error?: Error): void;
}

const isNodeEmitter = (body: unknown): body is NodeEmitterLike =>
  typeof body === 'object' &&
  body !== null &&
  typeof (body as { on?: unknown }).on === 'function' &&
  typeof (body as { pause?: unknown }).pause === 'function' &&
  typeof (body as { resume?: unknown }).resume === 'function';

/** Reads a Node stream by its events, pausing it while `take` (a slow sink) works on a chunk. */
const readEmitter = (body: NodeEmitterLike, take: (chunk: Uint8Array) => void | Promise<void>): Promise<void> =>
  new Promise((resolve, reject) => {
    let settled = false;
    let pending: Promise<void> | undefined;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      body.destroy?.();
      reject(error);
    };
    body.on('data', (chunk) => {
      if (settled) return;
      try {
        const taken = take(asBytes(chunk));
        if (taken !== undefined) {
          body.pause();
          pending = taken.then(() => {
            pending = undefined;
            if (!settled) body.resume();
          }, fail);
        }
      } catch (error) {
        fail(error);
      }
    });
    body.on('end', () => {
      void Promise.resolve(pending).then(() => {
        if (settled) return;
        settled = true;
        resolve();
      });
    });
    body.on('error', fail);
  });

/** What the readers need of a response: its body stream when the implementation exposes one. */
export interface BodySource {
  readonly body?: unknown;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** True when the response's body can be read chunk by chunk (else only whole, by `text()` or `arrayBuffer()`). */
export const hasBodyStream = (response: BodySource): boolean => isReadableStream(response.body) || isAsyncIterable(response.body);

/** Thrown by the readers when the body runs over its limit (the caller turns it into a typed error). */
export class BodyLimitExceeded extends Error {
  override readonly name = 'BodyLimitExceeded';
  constructor(readonly limitBytes: number) {
    super(`the body is longer than ${limitBytes} bytes`);
  }
}

const isReadableStream = (body: unknown): body is ReadableStreamLike =>
  typeof body === 'object' && body !== null && typeof (body as { getReader?: unknown }).getReader === 'function';

const isAsyncIterable = (body: unknown): body is NodeStreamLike =>
  typeof body === 'object' && body !== null && typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';

const asBytes = (chunk: unknown): Uint8Array =>
  chunk instanceof Uint8Array ? chunk : typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk as ArrayBuffer);

/**
 * Hands each chunk of the body to `onChunk` (awaited before the next is read, so a slow sink slows
 * the download instead of buffering it), and throws `BodyLimitExceeded` as soon as more than
 * `limitBytes` arrived. Answers the number of bytes read. A response without a body stream is read
 * whole first (the fetch implementation then holds it) and checked after.
 */
export const forEachBodyChunk = async (
  response: BodySource,
  limitBytes: number,
  onChunk: (chunk: Uint8Array) => void | Promise<void>,
): Promise<number> => {
  // An identity-encoded answer that says up front it is too long is refused before reading it.
  const body = response.body;
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes && (response.headers.get('content-encoding') ?? 'identity') === 'identity') {
    await discardBody(body);
    throw new BodyLimitExceeded(limitBytes);
  }
  let total = 0;
  // Synchronous unless the sink is: a reader of many small chunks pays for no promise per chunk.
  const take = (chunk: Uint8Array): void | Promise<void> => {
    total += chunk.byteLength;
    if (total > limitBytes) throw new BodyLimitExceeded(limitBytes);
    return chunk.byteLength > 0 ? onChunk(chunk) : undefined;
  };
  if (isReadableStream(body)) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value !== undefined) await take(asBytes(value));
      }
    } catch (error) {
      await reader.cancel(error).catch(() => undefined);
      throw error;
    }
    return total;
  }
  if (isNodeEmitter(body)) {
    await readEmitter(body, take);
    return total;
  }
  if (isAsyncIterable(body)) {
    try {
      for await (const chunk of body) await take(asBytes(chunk));
    } catch (error) {
      body.destroy?.();
      throw error;
    }
    return total;
  }
  await take(new Uint8Array(await response.arrayBuffer()));
  return total;
};

/** The whole body as bytes, at most `limitBytes` of them (else `BodyLimitExceeded`). */
export const readBodyBytes = async (response: BodySource, limitBytes: number): Promise<Uint8Array> => {
  const chunks: Uint8Array[] = [];
  const total = await forEachBodyChunk(response, limitBytes, (chunk) => {
    chunks.push(chunk);
  });
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
};

// Decoding a whole body (no `stream` option) keeps no state: one decoder serves every answer.
const utf8 = /*#__PURE__*/ new TextDecoder();

/** The whole body as UTF-8 text, at most `limitBytes` bytes of it (else `BodyLimitExceeded`). */
export const readBodyText = async (response: BodySource, limitBytes: number): Promise<string> => {
  if (!hasBodyStream(response)) {
    const whole = await response.text();
    // Each UTF-16 unit is at most 3 UTF-8 bytes: only a long text needs counting.
    if (whole.length * 3 > limitBytes && new TextEncoder().encode(whole).byteLength > limitBytes) throw new BodyLimitExceeded(limitBytes);
    return whole;
  }
  return utf8.decode(await readBodyBytes(response, limitBytes));
};

/** The start of the body as text, at most `limitBytes` bytes, the rest left unread (for error details). */
export const readBodyPrefix = async (response: BodySource, limitBytes: number): Promise<string> => {
  if (!hasBodyStream(response)) return (await response.text()).slice(0, limitBytes);
  const decoder = new TextDecoder();
  let text = '';
  let room = limitBytes;
  try {
    await forEachBodyChunk(response, Number.MAX_SAFE_INTEGER, (chunk) => {
      text += decoder.decode(chunk.subarray(0, room), { stream: true });
      room -= Math.min(room, chunk.byteLength);
      if (room === 0) throw new BodyLimitExceeded(limitBytes);
    });
  } catch (error) {
    if (!(error instanceof BodyLimitExceeded)) throw error;
  }
  return text + decoder.decode();
};

/** Frees a body that will not be read (a redirect's, a refused answer's), so its connection is released. */
export const discardBody = async (body: unknown): Promise<void> => {
  try {
    if (isReadableStream(body)) await body.cancel?.();
    else if (isAsyncIterable(body)) body.destroy?.();
  } catch {
    // Nothing to free, or it is freed already.
  }
};
