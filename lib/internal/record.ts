// Plain JSON data: the one check every decoder of loosely typed JSON here starts with, and deep freezing.

/** A JSON object read field by field (never an array, never null). */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** True for a non-null, non-array object: a value whose fields may be read. */
export const isRecord = (u: unknown): u is JsonRecord => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * Freezes a value and everything in it. Faster than Immer's `freeze(u, true)` on a fresh tree, and
 * stops at frozen subtrees, which after an Immer edit are the parts shared with the previous value.
 */
export const deepFreeze = <T>(u: T): T => {
  if (typeof u === 'object' && u !== null && !Object.isFrozen(u)) {
    Object.freeze(u);
    if (Array.isArray(u)) for (const v of u) deepFreeze(v);
    else for (const k of Object.keys(u)) deepFreeze((u as Record<string, unknown>)[k]);
  }
  return u;
};

/**
 * The value a record holds under `key` as its own field, never one inherited from
 * `Object.prototype`: ids from files and servers (`constructor`, `toString`, `__proto__` ...) are
 * looked up with this, not with `record[key]`.
 */
export const ownValue = <V>(record: Readonly<Record<string, V>> | null | undefined, key: string): V | undefined =>
  record !== null && record !== undefined && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
