// A model input set by name or key: `setInput('Model', 'juggernautXL_v9')`. The workflow holds a
// model reference (an identifier with the text as its name and no key yet) until a server's model
// list is at hand: a run resolves it before enqueueing, as `models(client).sync` does, and a text that
// names no model, or several, is an `InputError` listing the models that fit.
import * as E from 'fp-ts/Either';
import type { InputIssue } from './errors';
import { listInputs, setInput } from './inputs';
import { findModel, toModelValue, type ModelRecord } from './sync-models';
import type { WorkflowInput } from './types';
import type { Workflow } from './workflow';
import { isModelReference } from './values';

/** The form's model inputs that hold a reference by name or key. */
export const modelReferences = (wf: Workflow): readonly WorkflowInput[] => listInputs(wf).filter((i) => i.kind === 'model' && isModelReference(i.value));

const issueFor = (input: WorkflowInput, text: string, reason: string): InputIssue => ({
  code: 'constraint',
  ref: `${input.nodeId}.${input.fieldName}`,
  message: `Input #${input.index} "${input.label}" (${input.nodeId}.${input.fieldName}, model) was set to "${text}", but ${reason}`,
});

/** Resolves one value of a model input: a name or key (or a reference holding one) becomes the installed model's identifier. */
export const resolveModelValue = (input: WorkflowInput, value: unknown, models: ReadonlyArray<ModelRecord>): E.Either<InputIssue, unknown> => {
  const text = typeof value === 'string' ? value : isModelReference(value) ? value.name : undefined;
  if (text === undefined) return E.right(value);
  const found = findModel(models, text, input.constraints);
  return E.isLeft(found) ? E.left(issueFor(input, text, found.left)) : E.right(toModelValue(found.right));
};

/**
 * Points every model input set by name or key at the installed model it names; the workflow is
 * returned as it is when none is. `Left` lists each input whose name or key matches no model or
 * several.
 */
export const resolveModelReferences = (wf: Workflow, models: ReadonlyArray<ModelRecord>): E.Either<readonly InputIssue[], Workflow> => {
  const issues: InputIssue[] = [];
  let resolved = wf;
  for (const input of modelReferences(wf)) {
    const value = resolveModelValue(input, input.value, models);
    if (E.isLeft(value)) issues.push(value.left);
    else resolved = setInput(input.index, value.right)(resolved);
  }
  return issues.length > 0 ? E.left(issues) : E.right(resolved);
};
