// Arbitraries shared by the fuzz specs: random JSON, and valid values with a few of their paths
// replaced, deleted or added to (what a newer, older or broken server sends).
import fc from 'fast-check';

/** Any JSON value (round-tripped, so `-0` and friends are what the wire would carry). */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** Values that stress decoders: wrong types, edge numbers, enum-ish strings, empties. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 1e21, Number.MAX_SAFE_INTEGER + 2),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('', 'completed', 'failed', 'canceled', 'pending', 'in_progress', 'waiting', 'image_output', 'default', '__proto__', 'constructor'),
  fc.constant([]),
  fc.constant({}),
  anyJson,
);

/** Every path (list of keys) into a JSON value, the root included. */
export const pathsOf = (u: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] => {
  out.push(prefix);
  if (Array.isArray(u)) u.forEach((v, i) => pathsOf(v, [...prefix, i], out));
  else if (typeof u === 'object' && u !== null) for (const [k, v] of Object.entries(u)) pathsOf(v, [...prefix, k], out);
  return out;
};

/** A copy of `u` with the value at `path` replaced (`undefined` deletes it); only the spine is copied. */
export const setAt = (u: unknown, path: readonly (string | number)[], value: unknown): unknown => {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(u)) {
    const copy = u.slice();
    if (value === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = setAt(u[head as number], rest, value);
    return copy;
  }
  const copy: Record<string, unknown> = typeof u === 'object' && u !== null ? { ...(u as Record<string, unknown>) } : {};
  if (value === undefined && rest.length === 0) delete copy[head as string];
  else copy[head as string] = setAt(copy[head as string], rest, value);
  return copy;
};

/** A valid value with 1..`max` of its paths set to a nasty value (or deleted). */
export const mutated = (base: unknown, max = 3): fc.Arbitrary<unknown> => {
  const paths = pathsOf(base);
  return fc.array(fc.tuple(fc.nat(paths.length - 1), nastyValue), { minLength: 1, maxLength: max }).map((edits) => {
    let value = base;
    for (const [p, v] of edits) value = setAt(value, paths[p], v);
    return value;
  });
};

/** A valid object with extra fields a newer server might add (never changing the known ones). */
export const extended = (base: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> =>
  fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).map((k) => `x_${k}`), anyJson, { maxKeys: 3 }).map((extra) => ({ ...extra, ...base }));
