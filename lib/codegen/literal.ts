// TypeScript source text for values that come from a workflow file: string literals, property
// keys, object literals and comments. Whatever a file holds, the text stays one valid literal or
// one comment (no `*/`, no line break), and reads back as the same value.

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A single-quoted string literal of `s` (control characters and line separators escaped). */
export const quote = (s: string): string => {
  const escaped = JSON.stringify(s)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `'${escaped}'`;
};

/** A property key: bare when it is an identifier, quoted otherwise. */
export const propertyKey = (key: string): string => (IDENTIFIER.test(key) ? key : quote(key));

/** A key in an object literal: `__proto__` is computed, so that it defines a property instead of the prototype. */
const literalKey = (key: string): string => (key === '__proto__' ? `[${quote(key)}]` : propertyKey(key));

/** Text for a comment: on one line, without `*\/`, at most `max` characters. */
export const commentText = (text: string, max = 160): string => {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\*\//g, '*\\/')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
};

/** How a literal is laid out: objects and arrays that fit in `width` columns go on one line, as do all below `flatDepth`. */
export interface Layout {
  readonly width: number;
  readonly flatDepth: number;
}

const LAYOUT: Layout = { width: 100, flatDepth: Infinity };

/** An object or array literal of JSON data, indented by two spaces per level from `indent`. */
export const literal = (value: unknown, indent = '', layout: Layout = LAYOUT, depth = 0): string => {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value !== 'object') return 'undefined';
  const inner = `${indent}  `;
  const isArray = Array.isArray(value);
  const members = isArray
    ? (value as readonly unknown[]).map((v) => literal(v, inner, layout, depth + 1))
    : Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${literalKey(k)}: ${literal(v, inner, layout, depth + 1)}`);
  if (members.length === 0) return isArray ? '[]' : '{}';
  const flat = isArray ? `[${members.join(', ')}]` : `{ ${members.join(', ')} }`;
  if (depth >= layout.flatDepth || (!flat.includes('\n') && indent.length + flat.length <= layout.width)) return flat;
  return isArray ? `[\n${members.map((m) => `${inner}${m},`).join('\n')}\n${indent}]` : `{\n${members.map((m) => `${inner}${m},`).join('\n')}\n${indent}}`;
};
