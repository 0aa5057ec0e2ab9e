// A model input set by name or key: `setInput('Model', 'juggernautXL_v9')`. The workflow holds a
// model reference (an identifier with the text as its name and no key yet) until a server's model
// list is at hand: a run resolves it before enqueueing, as `client.syncModels` does, and a text that
// names no model, or several, is an `InputError` listing the models that fit.
import * as E from 'fp-ts/Either';
import type { InputIssue } from './errors';
import { listInputs, setInput } from './inputs';
import type { ModelRecord } from './sync-models';
import type { FieldConstraints, Workflow, WorkflowInput } from './types';
import { isModelReference } from './values';

/** Whether a model fits what a field accepts (its bases, types and formats). */
export const modelFits = (c: FieldConstraints, m: ModelRecord): boolean =>
  (!c.modelBase || c.modelBase.length === 0 || c.modelBase.includes(m.base)) &&
  (!c.modelType || c.modelType.length === 0 || c.modelType.includes(m.type)) &&
  (!c.modelFormat || c.modelFormat.length === 0 || m.format === undefined || c.modelFormat.includes(m.format));

const describeModel = (m: ModelRecord): string => `${m.name} (${m.base} ${m.type}, key ${m.key})`;

/**
 * The one installed model that `text` names, by key or by name, among those the field accepts; or
 * why there is none (nothing named so, or several of that name: give the key).
 */
export const findModel = (models: ReadonlyArray<ModelRecord>, text: string, constraints: FieldConstraints): E.Either<string, ModelRecord> => {
  const fitting = models.filter((m) => modelFits(constraints, m));
  const byKey = fitting.filter((m) => m.key === text);
  if (byKey.length === 1) return E.right(byKey[0]!);
  const byName = fitting.filter((m) => m.name === text);
  if (byName.length === 1) return E.right(byName[0]!);
  if (byName.length > 1) {
    return E.left(`${byName.length} installed models that fit are named "${text}"; give one's key instead:\n${byName.map((m) => `  ${describeModel(m)}`).join('\n')}`);
  }
  const elsewhere = models.filter((m) => m.key === text || m.name === text);
  const fitList = fitting.length > 0 ? `Models that fit:\n${fitting.map((m) => `  ${describeModel(m)}`).join('\n')}` : 'No installed model fits it.';
  return E.left(
    elsewhere.length > 0
      ? `"${text}" is ${describeModel(elsewhere[0]!)}, which this input does not take. ${fitList}`
      : `the server has no model named or keyed "${text}". ${fitList}`,
  );
};

/** The identifier a model field stores for an installed model. */
export const toModelValue = (m: ModelRecord): { readonly key: string; readonly hash: string; readonly name: string; readonly base: string; readonly type: string } => ({
  key: m.key,
  hash: m.hash ?? '',
  name: m.name,
  base: m.base,
  type: m.type,
});

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
