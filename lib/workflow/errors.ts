// Typed errors of the workflow values: decoding a file, and naming or setting an input.

/** One problem found while decoding a workflow, at a JSON path such as `$.nodes[3].data.inputs.seed`. */
export interface DecodeIssue {
  readonly path: string;
  readonly message: string;
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
    | 'unknown-node-type';
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
    Object.setPrototypeOf(this, WorkflowDecodeError.prototype);
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
    Object.setPrototypeOf(this, InputError.prototype);
  }
}
