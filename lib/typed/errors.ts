// The typed error of a generated workflow module whose workflow no longer fits its types.

/**
 * The workflow's form inputs or output nodes are not the ones a generated module's types describe
 * (an edit moved or removed an input): the message names the input and says to regenerate.
 */
export class TypedWorkflowError extends Error {
  override readonly name = 'TypedWorkflowError';
  constructor(
    /** The workflow file the module was generated from. */
    readonly source: string,
    message: string,
  ) {
    super(message);
  }
}
