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
 * The most levels of arrays and objects the library accepts in JSON from a file or a server. Real
 * workflows and answers stay far below it; much deeper data breaks code that walks it recursively
 * (JSON.stringify, deep copies) with a stack overflow.
 */
export const MAX_JSON_DEPTH = 128;

/** True when `value` nests arrays and objects more than `maxDepth` levels deep (checked without recursion). */
export const exceedsDepth = (value: unknown, maxDepth: number): boolean => {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  const visit = (child: unknown, depth: number): void => {
    if (typeof child === 'object' && child !== null) {
      stack.push(child);
      depths.push(depth);
    }
  };
  while (stack.length > 0) {
    const current = stack.pop() as Record<string, unknown> | unknown[];
    const depth = depths.pop() as number;
    if (depth > maxDepth) return true;
    if (Array.isArray(current)) for (let i = 0; i < current.length; i++) visit(current[i], depth + 1);
    else for (const key in current) visit(current[key], depth + 1);
  }
  return false;
};
