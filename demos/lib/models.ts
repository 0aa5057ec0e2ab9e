// Filling a workflow's empty model inputs from a server's model list: what a user picks in the GUI.
import { listInputs, setInput, type Workflow, type WorkflowInput } from '../../lib/index';

/** The fields of an installed model this needs (a server's model config fits). */
export interface InstalledModel {
  readonly key: string;
  readonly hash?: string;
  readonly name: string;
  readonly base: string;
  readonly type: string;
}

const fits = (input: WorkflowInput, m: InstalledModel): boolean =>
  (input.constraints.modelBase === undefined || input.constraints.modelBase.length === 0 || input.constraints.modelBase.includes(m.base)) &&
  (input.constraints.modelType === undefined || input.constraints.modelType.length === 0 || input.constraints.modelType.includes(m.type));

const baseOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && typeof (value as { base?: unknown }).base === 'string' ? (value as { base: string }).base : undefined;

/**
 * Sets every empty model input of the form to an installed model it accepts, preferring the base of
 * the workflow's main model (so an SDXL workflow gets an SDXL VAE, not the first VAE of any base)
 * and, among those, names with "fp16" (InvokeAI's SDXL workflows ask for the FP16 VAE).
 */
export const pickModels = (wf: Workflow, models: readonly InstalledModel[]): Workflow => {
  const inputs = listInputs(wf).filter((i) => i.kind === 'model');
  const main = inputs.find((i) => i.constraints.modelType?.includes('main'));
  const mainBase = baseOf(main?.value) ?? main?.constraints.modelBase?.[0] ?? models.find((m) => main !== undefined && fits(main, m))?.base;
  return inputs.reduce((acc, input) => {
    if (input.value !== undefined && input.value !== null) return acc;
    const candidates = models.filter((m) => fits(input, m));
    const ranked = [...candidates].sort(
      (a, b) => Number(b.base === mainBase) - Number(a.base === mainBase) || Number(/fp16/i.test(b.name)) - Number(/fp16/i.test(a.name)) || a.name.localeCompare(b.name),
    );
    const chosen = ranked[0];
    if (chosen === undefined) return acc;
    console.log(`model ${input.label}: ${chosen.name} (${chosen.base} ${chosen.type}, from the server's list)`);
    return setInput(input.index, { key: chosen.key, hash: chosen.hash ?? '', name: chosen.name, base: chosen.base, type: chosen.type })(acc);
  }, wf);
};
