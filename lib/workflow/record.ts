// The one check every decoder of loosely typed JSON here starts with.

/** A JSON object read field by field (never an array, never null). */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** True for a non-null, non-array object: a value whose fields may be read. */
export const isRecord = (u: unknown): u is JsonRecord => typeof u === 'object' && u !== null && !Array.isArray(u);
