// Before a run: model inputs set by name or key (`setInput('Model', 'juggernautXL_v9')`), and model
// sweeps given as names or keys, are pointed at the server's installed models. The model list is
// read only when there is such a reference, so other runs make no extra request.
import * as E from 'fp-ts/Either';
import { Observable, defer, switchMap } from 'rxjs';
import { InputError, type InputIssue } from '../workflow/errors';
import { refOfKey, resolveInput } from '../workflow/inputs';
import { modelReferences, resolveModelReferences, resolveModelValue } from '../workflow/model-refs';
import type { ModelRecord } from '../workflow/sync-models';
import type { WorkflowInput } from '../workflow/types';
import type { Workflow } from '../workflow/workflow';
import { isModelReference } from '../workflow/values';
import type { Sweep } from '../workflow/batch';

/** The model inputs a sweep gives names or keys for, with their values. */
const sweptModelReferences = (wf: Workflow, sweep: Sweep | undefined): ReadonlyArray<readonly [string, WorkflowInput, readonly unknown[]]> =>
  Object.entries(sweep?.values ?? {}).flatMap(([ref, values]) => {
    // A ref that names no input is the batch builder's to report.
    const input = resolveInput(wf, refOfKey(ref));
    return E.isRight(input) && input.right.kind === 'model' && values.some((v) => typeof v === 'string' || isModelReference(v))
      ? [[ref, input.right, values] as const]
      : [];
  });

/** Whether a run of this workflow needs the server's model list first. */
export const hasModelReferences = (wf: Workflow, sweep?: Sweep): boolean => modelReferences(wf).length > 0 || sweptModelReferences(wf, sweep).length > 0;

/** The workflow and sweep with every model name or key replaced by the installed model's identifier; `InputError` lists those that name none or several. */
export const resolveRunModels = <O extends { readonly sweep?: Sweep }>(wf: Workflow, options: O, models: ReadonlyArray<ModelRecord>): { readonly wf: Workflow; readonly options: O } => {
  const issues: InputIssue[] = [];
  const resolved = resolveModelReferences(wf, models);
  if (E.isLeft(resolved)) issues.push(...resolved.left);
  const sweep = options.sweep;
  const swept = sweptModelReferences(wf, sweep);
  const values: Record<string, readonly unknown[]> = { ...sweep?.values };
  for (const [ref, input, list] of swept) {
    values[ref] = list.map((v) => {
      const r = resolveModelValue(input, v, models);
      if (E.isLeft(r)) issues.push(r.left);
      return E.isRight(r) ? r.right : v;
    });
  }
  if (issues.length > 0) throw new InputError(issues);
  return { wf: E.isRight(resolved) ? resolved.right : wf, options: sweep !== undefined && swept.length > 0 ? { ...options, sweep: { ...sweep, values } } : options };
};

/** Starts the run at once, or, when it names models by name or key, once they are resolved against `listModels()`. */
export const withModelsResolved = <O extends { readonly sweep?: Sweep }, T>(
  listModels: () => Promise<ReadonlyArray<ModelRecord>>,
  wf: Workflow,
  options: O,
  start: (wf: Workflow, options: O) => Observable<T>,
): Observable<T> =>
  hasModelReferences(wf, options.sweep)
    ? defer(async () => resolveRunModels(wf, options, await listModels())).pipe(switchMap((r) => start(r.wf, r.options)))
    : start(wf, options);
