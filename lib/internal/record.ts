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

/**
 * The most levels of arrays and objects the library accepts in JSON from a file or a server. Real
 * workflows and answers stay far below it; much deeper data breaks code that walks it recursively
 * (JSON.stringify, deep copies) with a stack overflow.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * True when `value` nests arrays and objects more than `maxDepth` levels deep. The walk recurses at
 * most `maxDepth` levels (so however deep the value, the stack is safe) and stops at the first
 * branch too deep.
 */
export const exceedsDepth = (value: unknown, maxDepth: number): boolean =>
  typeof value === 'object' && value !== null && (maxDepth <= 0 || childrenExceed(value, maxDepth - 1));

const childrenExceed = (value: object, levelsLeft: number): boolean => {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null && (levelsLeft === 0 || childrenExceed(child, levelsLeft - 1))) return true;
    }
    return false;
  }
  for (const key in value) {
    const child: unknown = (value as Record<string, unknown>)[key];
    if (typeof child === 'object' && child !== null && (levelsLeft === 0 || childrenExceed(child, levelsLeft - 1))) return true;
  }
  return false;
};

/**
 * False when JSON text holds too few brackets to nest more than `maxDepth` levels: a test much
 * cheaper than walking what it parses to, which only text with that many brackets needs.
 */
export const mayExceedDepth = (text: string, maxDepth: number): boolean => {
  let brackets = 0;
  for (const open of ['[', '{']) {
    for (let at = text.indexOf(open); at !== -1; at = text.indexOf(open, at + 1)) if (++brackets > maxDepth) return true;
  }
  return false;
};
