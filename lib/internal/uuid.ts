// Ids on any platform: fresh random ones (graph ids, batch ids) and name-based ones (the batch id of
// an idempotency key, the same in every process that derives it).
import { sha1 } from './sha1';

const formatUuid = (bytes: Uint8Array): string => {
  const hex = Array.from(bytes.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** A fresh uuid v4: `crypto.randomUUID` where the platform has it, else built from `crypto.getRandomValues` or `Math.random`. */
export const uuidV4 = (): string => {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The name-based uuid (v5, RFC 9562) of `name` (UTF-8) in `namespace` (a uuid): the same name in the
 * same namespace always gives the same id, on every platform and in every process.
 */
export const uuidV5 = (name: string, namespace: string): string => {
  if (!UUID.test(namespace)) throw new TypeError(`uuidV5: the namespace must be a uuid, got "${namespace}"`);
  const ns = Uint8Array.from(namespace.replace(/-/g, '').match(/../g)!, (h) => parseInt(h, 16));
  const text = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + text.length);
  input.set(ns);
  input.set(text, 16);
  const digest = sha1(input);
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return formatUuid(digest);
};
