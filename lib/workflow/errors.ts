// Typed errors of the workflow values: decoding a file, and naming or setting an input.

/** One problem found while decoding a workflow, at a JSON path such as `$.nodes[3].data.inputs.seed`. */
export interface DecodeIssue {
  readonly path: string;
  readonly message: string;
}

/** What a load-time repair was about (see `LoadWarning`). */
export type LoadWarningCode =
  /** An invalid form was replaced by an empty one (the GUI's schema does the same). */
  | 'invalid-form'
  /** A form field naming a node or input the workflow does not have was removed. */
  | 'form-field-removed'
  /** A legacy exposed field was left out of the form built from them. */
  | 'exposed-field-skipped'
  /** An edge from or to a missing node, notes node, or a field its node type does not have was deleted. */
  | 'edge-removed'
  /** A node of an older minor version was updated to its template's version, as the GUI does on load. */
  | 'node-updated'
  /** A node whose major version differs from its template's was left as it is; it cannot run until replaced. */
  | 'node-not-updated'
  /** A node whose type the templates do not know was left as it is. */
  | 'unknown-node-type'
  /** A node has an input its type does not have; the GUI will not run it. */
  | 'unknown-field'
  /** A key the file's schema version left out took the value that schema gives it. */
  | 'schema-default'
  /** A schema 1/2 model value, which cannot name a model any more, was unset. */
  | 'stale-model-value';

/** A repair made while loading, as InvokeAI's GUI makes it when it opens the file, and why. */
export interface LoadWarning extends DecodeIssue {
  readonly code: LoadWarningCode;
}

/** One problem with an input: which input (when known), where it lives, and what is wrong. */
export interface InputIssue {
  /** The kind of problem, stable for programs to switch on. */
  readonly code:
    | 'unknown-ref'
    | 'ambiguous-ref'
    | 'connected'
    | 'wrong-kind'
    | 'constraint'
    | 'required-unset'
    | 'missing-node'
    | 'missing-field'
    | 'dangling-edge'
    | 'unknown-node-type'
    | 'unknown-field'
    | 'node-version'
    | 'no-nodes'
    | 'batch-not-connected';
  /** The ref the user gave, or the `nodeId.fieldName` of the input concerned. */
  readonly ref: string;
  /** JSON path into the workflow, e.g. `$.nodes[3].data.inputs.seed`, when there is one. */
  readonly path?: string;
  readonly message: string;
  /** For unknown or ambiguous refs: the inputs the ref could have meant, described for a human. */
  readonly candidates?: readonly string[];
}

/** The lines as an indented list, each after `bullet`, cut after `max` with a count of the rest. */
export const listLines = (lines: readonly string[], max: number, bullet: string): string => {
  const shown = lines.slice(0, max).map((l) => `${bullet}${l}`);
  if (lines.length > max) shown.push(`${bullet}... and ${lines.length - max} more`);
  return shown.join('\n');
};

const listIssues = (lines: readonly string[]): string => listLines(lines, 20, '  - ');

/** The text is not a workflow this library can load; `issues` says where and why. */
export class WorkflowDecodeError extends Error {
  override readonly name = 'WorkflowDecodeError';
  readonly issues: readonly DecodeIssue[];
  constructor(issues: readonly DecodeIssue[]) {
    super(
      `The workflow could not be loaded (${issues.length} problem${issues.length === 1 ? '' : 's'}); ` +
        `fix the JSON at these paths or re-export it from the InvokeAI workflow editor:\n` +
        listIssues(issues.map((i) => `${i.path}: ${i.message}`)),
    );
    this.issues = issues;
  }
}

/** An input ref that names no input or several, or a value the input does not accept. */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[]) {
    super(
      issues.length === 1
        ? issues[0].message
        : `${issues.length} input problems:\n` + listIssues(issues.map((i) => i.message)),
    );
    this.issues = issues;
  }
}
