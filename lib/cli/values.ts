// Command-line text → an input's value, parsed by the input's kind (from the node templates).
import * as E from 'fp-ts/Either';
import { findModel, type ModelRecord, type WorkflowInput } from '../index';
import { UsageError } from './io';

const where = (input: WorkflowInput): string => `input #${input.index} "${input.label}" (${input.kind})`;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

const parseHexColor = (text: string): unknown => {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})?$/i.exec(text);
  if (!m) return undefined;
  const byte = (s: string | undefined, fallback: number): number => (s === undefined ? fallback : parseInt(s, 16));
  return { r: byte(m[1], 0), g: byte(m[2], 0), b: byte(m[3], 0), a: byte(m[4], 255) };
};

const pickModel = (input: WorkflowInput, text: string, models: readonly ModelRecord[] | undefined): unknown => {
  const json = text.trim().startsWith('{') ? parseJson(text) : undefined;
  if (json !== undefined) return json;
  if (models === undefined) {
    throw new UsageError(`${where(input)} needs a model: give a JSON identifier {"key","hash","name","base","type"}, or pass --url so that a model name or key can be looked up on the server.`);
  }
  // The library's own lookup: one model by key or name among those the input takes, never a guess.
  const found = findModel(models, text, input.constraints);
  if (E.isLeft(found)) throw new UsageError(`${where(input)}: ${found.left}${found.left.endsWith('No installed model fits it.') ? ' Install one first (invokeai-rx models <url> lists them).' : ''}`);
  return { key: found.right.key, hash: found.right.hash ?? '', name: found.right.name, base: found.right.base, type: found.right.type };
};

const parseScalar = (input: WorkflowInput, kind: WorkflowInput['kind'], text: string, models: readonly ModelRecord[] | undefined): unknown => {
  switch (kind) {
    case 'string':
    case 'image':
    case 'video':
    case 'board':
      return text;
    case 'integer': {
      if (!/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`${where(input)} must be an integer, got "${text}".`);
      return Number(text);
    }
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${where(input)} must be a number, got "${text}".`);
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return true;
      if (['false', 'no', '0', 'off'].includes(t)) return false;
      throw new UsageError(`${where(input)} must be true or false, got "${text}".`);
    }
    case 'enum': {
      const options = input.constraints.options ?? [];
      if (options.includes(text)) return text;
      const n = Number(text);
      if (options.includes(n)) return n;
      if (options.length > 0) throw new UsageError(`${where(input)} must be one of ${options.map(String).join(', ')}; got "${text}".`);
      return text;
    }
    case 'model':
      return pickModel(input, text, models);
    case 'color': {
      const parsed = parseHexColor(text) ?? parseJson(text);
      if (parsed === undefined) throw new UsageError(`${where(input)} must be a color: #rrggbb, #rrggbbaa or {"r","g","b","a"}; got "${text}".`);
      return parsed;
    }
    default: {
      // object / collection items / unknown: JSON when it parses, the text otherwise.
      const parsed = parseJson(text);
      return parsed === undefined ? text : parsed;
    }
  }
};

/**
 * Parses the text of `--set ref=value` for an input. Collections take a JSON list or
 * comma-separated items; the result still goes through `setInput`, which checks constraints.
 */
export const parseInputValue = (input: WorkflowInput, text: string, models?: readonly ModelRecord[]): unknown => {
  if (input.kind === 'collection') {
    const trimmed = text.trim();
    if (trimmed.startsWith('[')) {
      const parsed = parseJson(trimmed);
      if (!Array.isArray(parsed)) throw new UsageError(`${where(input)} must be a JSON list or comma-separated items; "${text}" is not valid JSON.`);
      return parsed;
    }
    const itemKind = input.itemKind ?? 'unknown';
    return trimmed === '' ? [] : trimmed.split(',').map((item) => parseScalar(input, itemKind, item, models));
  }
  return parseScalar(input, input.kind, text, models);
};

/** Splits `ref=value` at the first `=`; throws a `UsageError` naming the flag otherwise. */
export const splitAssignment = (flag: string, text: string): { readonly ref: string; readonly value: string } => {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`${flag} takes ref=value (e.g. ${flag} "Positive Prompt=a lighthouse" or ${flag} 3=1024); got "${text}".`);
  return { ref: text.slice(0, eq), value: text.slice(eq + 1) };
};

/** An all-digit ref is an input index; anything else is a label, field name or `node.field`. */
export const toRef = (text: string): number | string => (/^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : text);
