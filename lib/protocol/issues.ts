// Turns io-ts validation errors into short, path-addressed issues that a person can act on.
import * as t from 'io-ts';

/** One problem found while decoding a value: where (`$.a.b[0]`) and what was expected. */
export interface PathIssue {
  readonly path: string;
  readonly message: string;
}

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${typeof value} ${text.slice(0, 57)}...` : `${typeof value} ${text}`;
};

const pathOf = (error: t.ValidationError): string => {
  let path = '$';
  // context[0] is the root codec; each later entry names the key its parent codec took. Unions and
  // intersections key their members by index, which is not a step into the value, so skip those.
  for (let i = 1; i < error.context.length; i++) {
    const parent = error.context[i - 1].type;
    const key = error.context[i].key;
    if (key === '' || parent instanceof t.IntersectionType || parent instanceof t.UnionType) continue;
    path += parent instanceof t.ArrayType ? `[${key}]` : `.${key}`;
  }
  return path;
};

/** Converts io-ts errors into path issues, one per distinct path (the deepest expectation wins). */
export const toPathIssues = (errors: t.Errors): ReadonlyArray<PathIssue> => {
  const byPath = new Map<string, PathIssue>();
  for (const error of errors) {
    const path = pathOf(error);
    if (byPath.has(path)) continue;
    const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
    byPath.set(path, {
      path,
      message: error.message ?? `expected ${expected}, got ${describeValue(error.value)}`,
    });
  }
  return [...byPath.values()];
};

/** Renders issues as one line each, `path: message`, capped so a huge payload gives a readable text. */
export const formatPathIssues = (issues: ReadonlyArray<PathIssue>, max = 10): string => {
  const lines = issues.slice(0, max).map((issue) => `${issue.path}: ${issue.message}`);
  if (issues.length > max) lines.push(`... and ${issues.length - max} more`);
  return lines.join('\n');
};
