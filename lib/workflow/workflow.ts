// The `Workflow` value: decoding (io-ts, then migration to 4.0.0), freezing, and exporting.

import * as E from 'fp-ts/Either';
import type * as t from 'io-ts';
import { issuesFromErrors, keySegment, MetaVersionCodec, WorkflowCodecV1, WorkflowCodecV3 } from './codec';
import { type DecodeIssue, type LoadWarning, WorkflowDecodeError } from './errors';
import { migrateWorkflow, SUPPORTED_VERSIONS } from './migrate';
import { repairWorkflow } from './repair';
import { deepFreeze, exceedsDepth, isRecord, MAX_JSON_DEPTH } from '../internal/record';
import { defaultTemplates } from './default-templates';
import type { LoadOptions, NodeTemplates, WorkflowJson } from './types';

/**
 * An immutable, validated workflow: the migrated GUI JSON carrying the current input values, and
 * the templates it was typed with. Deeply frozen; change it only with the pure setters.
 */
export interface Workflow {
  readonly _tag: 'Workflow';
  readonly json: WorkflowJson;
  readonly templates: NodeTemplates;
}

const warningsOf = /*#__PURE__*/ new WeakMap<Workflow, readonly LoadWarning[]>();

/**
 * The repairs made while loading, as InvokeAI's GUI makes them when it opens the file: nodes updated
 * to their type's version, invalid edges deleted, form fields naming missing inputs removed, an
 * invalid form replaced, defaults of older schemas applied. Each says what and why (`code`, `path`,
 * `message`); an empty list means the file loaded as it was. Values made from a workflow keep its list.
 *
 * @example
 * ```ts
 * import { Workflow, workflowWarnings } from 'invokeai-rx';
 * for (const w of workflowWarnings(Workflow.fromJson(text))) console.warn(`${w.code} at ${w.path}: ${w.message}`);
 * ```
 */
export const workflowWarnings = (wf: Workflow): readonly LoadWarning[] => warningsOf.get(wf) ?? [];

/** Makes a frozen Workflow value; setters use it to carry the load warnings over to the new value. */
export const makeWorkflow = (
  json: WorkflowJson,
  templates: NodeTemplates,
  warnings: readonly LoadWarning[] = [],
): Workflow => {
  const wf: Workflow = Object.freeze({ _tag: 'Workflow' as const, json: deepFreeze(json), templates: deepFreeze(templates) });
  if (warnings.length > 0) warningsOf.set(wf, Object.freeze([...warnings]));
  return wf;
};

const childPath = (path: string, key: string | number): string => (typeof key === 'number' ? `${path}[${key}]` : `${path}${keySegment(key)}`);

/**
 * A copy made of plain JSON data only, so that freezing the value never reaches into an object
 * the caller still holds. Anything JSON cannot carry (functions, cycles, class instances) is an issue.
 */
const copyJsonData = (root: unknown, issues: DecodeIssue[]): unknown => {
  const onPath = new Set<object>();
  const copy = (u: unknown, path: string, depth: number): unknown => {
    if (u === null || typeof u === 'string' || typeof u === 'boolean') return u;
    if (typeof u === 'number') {
      if (!Number.isFinite(u)) issues.push({ path, message: `${u} is not a JSON number` });
      return u;
    }
    if (typeof u !== 'object') {
      issues.push({ path, message: `a ${typeof u} is not JSON data` });
      return undefined;
    }
    if (onPath.has(u)) {
      issues.push({ path, message: 'the object contains itself (a cycle is not JSON data)' });
      return undefined;
    }
    if (depth > MAX_JSON_DEPTH) {
      issues.push({ ...tooDeep, path });
      return undefined;
    }
    onPath.add(u);
    let out: unknown;
    if (Array.isArray(u)) out = u.map((item, i) => copy(item, childPath(path, i), depth + 1));
    else {
      const proto = Object.getPrototypeOf(u);
      if (proto !== Object.prototype && proto !== null) {
        issues.push({ path, message: 'a class instance is not JSON data' });
      }
      const o: Record<string, unknown> = {};
      for (const key of Object.keys(u)) {
        const v = (u as Record<string, unknown>)[key];
        // JSON.stringify drops undefined members, so they are dropped here too.
        if (v !== undefined) o[key] = copy(v, childPath(path, key), depth + 1);
      }
      out = o;
    }
    onPath.delete(u);
    return out;
  };
  return copy(root, '$', 1);
};

// Only a browser bundle has no default templates (default-templates.ts).
const NO_TEMPLATES =
  'no node templates to type the workflow with: a browser build ships none by default. Pass them as { templates }: ' +
  "InvokeAI's own (offline) from `import { templates } from 'invokeai-rx/templates'`, or the server's (custom nodes included) from `await serverTemplates(client)`";

/** Deeper data is no workflow, and walking it would overflow the stack. */
const tooDeep: DecodeIssue = { path: '$', message: `the JSON nests more than ${MAX_JSON_DEPTH} levels deep; no workflow does` };

const fail = (issues: readonly DecodeIssue[]): E.Either<WorkflowDecodeError, never> => E.left(new WorkflowDecodeError(issues));

const isSupported = (v: string): v is (typeof SUPPORTED_VERSIONS)[number] => (SUPPORTED_VERSIONS as readonly string[]).includes(v);

/** Decodes a value the library owns (already parsed or copied): it may be shared by the result. */
const decodeOwned = (value: unknown, options: LoadOptions | undefined): E.Either<WorkflowDecodeError, Workflow> => {
  const templates = options?.templates ?? defaultTemplates;
  if (templates === undefined) return fail([{ path: '$', message: NO_TEMPLATES }]);
  if (!isRecord(value)) {
    return fail([{ path: '$', message: `expected a workflow object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}` }]);
  }
  const meta = MetaVersionCodec.decode(value);
  if (E.isLeft(meta)) return fail(issuesFromErrors(meta.left));
  const version = meta.right.meta.version;
  if (!isSupported(version)) {
    return fail([
      { path: '$.meta.version', message: `unknown workflow schema version "${version}"; this library reads ${SUPPORTED_VERSIONS.join(', ')}` },
    ]);
  }
  const codec: t.Mixed = version === '1.0.0' || version === '2.0.0' ? WorkflowCodecV1 : WorkflowCodecV3;
  const checked = codec.decode(value);
  if (E.isLeft(checked)) return fail(issuesFromErrors(checked.left));
  const migrated = migrateWorkflow(checked.right as Readonly<Record<string, unknown>>, templates);
  if (migrated.json === undefined || migrated.issues.length > 0) return fail(migrated.issues);
  const repaired = repairWorkflow(migrated.json, templates);
  return E.right(makeWorkflow(repaired.json, templates, [...migrated.warnings, ...repaired.warnings]));
};

/** Decodes a workflow object of any schema version; the object itself is never changed. */
const decode = (value: unknown, options?: LoadOptions): E.Either<WorkflowDecodeError, Workflow> => {
  const issues: DecodeIssue[] = [];
  const owned = copyJsonData(value, issues);
  return issues.length > 0 ? fail(issues) : decodeOwned(owned, options);
};

const orThrow = (e: E.Either<WorkflowDecodeError, Workflow>): Workflow => {
  if (E.isLeft(e)) throw e.left;
  return e.right;
};

/** Parses and decodes workflow JSON text, as a `Either`. */
const decodeJson = (text: string, options?: LoadOptions): E.Either<WorkflowDecodeError, Workflow> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return fail([{ path: '$', message: `not JSON: ${(e as Error).message}` }]);
  }
  return exceedsDepth(parsed, MAX_JSON_DEPTH) ? fail([tooDeep]) : decodeOwned(parsed, options);
};

/**
 * Loading and exporting workflow values.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/function';
 * import { Workflow, setInput } from 'invokeai-rx';
 *
 * const wf = pipe(Workflow.fromJson(text), setInput('Positive Prompt', 'a lighthouse at dawn'));
 * const exported: string = Workflow.toJson(wf); // loads in the InvokeAI workflow editor
 * ```
 */
export const Workflow = {
  /** Parses GUI workflow JSON of any schema version; throws `WorkflowDecodeError` with a path per problem. */
  fromJson: (text: string, options?: LoadOptions): Workflow => orThrow(decodeJson(text, options)),
  /** Decodes a parsed workflow object; the object is never changed. Throws `WorkflowDecodeError`. */
  fromObject: (value: unknown, options?: LoadOptions): Workflow => orThrow(decode(value, options)),
  /** Decodes a parsed workflow object into an fp-ts `Either`. */
  decode,
  /** Parses workflow JSON text into an fp-ts `Either`. */
  decodeJson,
  /** The workflow as GUI JSON (schema 4.0.0) carrying the current values; frozen. */
  toObject: (wf: Workflow): WorkflowJson => wf.json,
  /** The workflow as GUI JSON text, indented as the GUI downloads it. */
  toJson: (wf: Workflow): string => JSON.stringify(wf.json, null, 2),
  /** The repairs made while loading. */
  warnings: workflowWarnings,
} as const;
