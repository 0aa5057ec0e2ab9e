// Plain-text rendering for the terminal: tables, short values, constraints, paths; what came from a
// server or a file goes through `printable`, so that no such text can drive the terminal.
import * as path from 'path';
import type { FieldConstraints, WorkflowInput } from '../index';
import { printable } from '../node';

export { printable, printableJson } from '../node';

/** Renders rows as a left-aligned table with a header and a rule under it; every cell is made `printable`. */
export const table = (header: readonly string[], givenRows: readonly (readonly string[])[]): string => {
  const rows = givenRows.map((row) => row.map((cell) => printable(cell)));
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
};

/** A path relative to the cwd when it is under it, absolute otherwise. */
export const displayPath = (cwd: string, file: string): string => {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
};

/** A count and its noun, plural unless one: `1 item`, `3 items`. */
export const countOf = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Cuts text to `max` characters, marking the cut. */
export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A value as one short line: strings quoted, models by name, images by name, unset as `-`. */
const showValue = (value: unknown, max = 40): string => {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return truncate(JSON.stringify(value.replace(/\s+/g, ' ')), max);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const r = value as Readonly<Record<string, unknown>>;
    if (typeof r['name'] === 'string' && typeof r['key'] === 'string') return truncate(`${r['name']} (${String(r['base'])})`, max);
    if (typeof r['image_name'] === 'string') return truncate(`image ${r['image_name']}`, max);
    if (typeof r['board_id'] === 'string') return truncate(`board ${r['board_id']}`, max);
  }
  return truncate(JSON.stringify(value) ?? String(value), max);
};

/** What a field accepts, compactly: `8..4096, ×8`, `one of a|b`, `model sdxl/main`. */
const showConstraints = (c: FieldConstraints, max = 48): string => {
  const parts: string[] = [];
  const lo = c.minimum ?? (c.exclusiveMinimum !== undefined ? `>${c.exclusiveMinimum}` : undefined);
  const hi = c.maximum ?? (c.exclusiveMaximum !== undefined ? `<${c.exclusiveMaximum}` : undefined);
  if (lo !== undefined || hi !== undefined) parts.push(`${lo ?? ''}..${hi ?? ''}`);
  if (c.multipleOf !== undefined) parts.push(`×${c.multipleOf}`);
  if (c.minLength !== undefined || c.maxLength !== undefined) parts.push(`len ${c.minLength ?? 0}..${c.maxLength ?? ''}`);
  if (c.minItems !== undefined || c.maxItems !== undefined) parts.push(`items ${c.minItems ?? 0}..${c.maxItems ?? ''}`);
  if (c.options !== undefined && c.options.length > 0) parts.push(`one of ${c.options.join('|')}`);
  if (c.modelBase !== undefined || c.modelType !== undefined) parts.push(`model ${(c.modelBase ?? ['any']).join('|')}/${(c.modelType ?? ['any']).join('|')}`);
  return truncate(parts.join(', '), max);
};

/**
 * The ref of an input by its node: `nodeLabel.fieldName`, or `nodeId.fieldName` when another input
 * of the form has the same node label and field, so that it names this one input.
 */
const fieldRef = (input: WorkflowInput, inputs: readonly WorkflowInput[]): string => {
  const byLabel = `${input.nodeLabel}.${input.fieldName}`;
  const same = inputs.filter((i) => `${i.nodeLabel}.${i.fieldName}`.toLowerCase() === byLabel.toLowerCase());
  return same.length > 1 ? `${input.nodeId}.${input.fieldName}` : byLabel;
};

/** The `inputs` table of a workflow's form: labels and field refs whole (they are what --set takes). */
export const inputsTable = (inputs: readonly WorkflowInput[]): string =>
  table(
    ['#', 'label', 'field', 'kind', 'value', 'constraints'],
    inputs.map((i) => [
      String(i.index),
      i.label,
      fieldRef(i, inputs),
      `${i.kind}${i.itemKind ? `<${i.itemKind}>` : ''}${i.required ? '*' : ''}${i.connected ? ' (edge)' : ''}`,
      showValue(i.value),
      showConstraints(i.constraints),
    ]),
  );
