// InvokeAI's default workflows, made runnable on the simulator: every unconnected model input gets
// an installed model of the right kind and every required image (video) input a value, as a user
// fills them in the GUI. The file is JSON in, JSON out; `Workflow.fromObject` decodes it after.
import * as fs from 'fs';
import * as path from 'path';
import type { MockModelConfig } from '../../lib/testing';
import { indexSchemas, loadDefaultOpenApi, nonNullAlternatives, JsonSchema } from '../../lib/testing/openapi';
import { Workflow } from '../../lib/workflow/workflow';
import { listInputs } from '../../lib/workflow/inputs';

const DIR = path.join(__dirname, '..', 'fixtures', 'default-workflows');

/** A default workflow ready to run, with an input to sweep when it has a seed. */
export interface SoakWorkflow {
  readonly name: string;
  readonly workflow: Workflow;
  /** An exposed scalar input (`nodeId.fieldName`) and its value, when the workflow has one. */
  readonly sweep?: { readonly ref: string; readonly value: unknown };
}

/** Loose workflow JSON (decode boundary: the fixture files). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Schema properties that say which models fit a field (InvokeAI's `ui_model_*` extensions). */
interface ModelFieldSchema extends JsonSchema {
  readonly ui_model_type?: readonly string[];
  readonly ui_model_base?: readonly string[];
  readonly ui_model_variant?: readonly string[];
  readonly ui_model_format?: readonly string[];
  readonly orig_required?: boolean;
}

/** Fills the inputs a user must fill before the workflow can run on a server with these models. */
const fillRequiredInputs = (models: readonly MockModelConfig[], json: Json, imageName: string, index: ReturnType<typeof indexSchemas>): Json => {
  const installed = new Set(models.map((m) => m.key));
  const connected = new Set((json.edges as Json[]).filter((e) => e.type === 'default').map((e) => `${e.target}.${e.targetHandle}`));
  for (const node of json.nodes as Json[]) {
    const schema = node.type === 'invocation' ? index.nodes.get(node.data.type) : undefined;
    if (!schema) continue;
    for (const [field, raw] of Object.entries(schema.schema.properties ?? {})) {
      const prop = raw as ModelFieldSchema;
      const inst = node.data.inputs[field];
      if (!inst || connected.has(`${node.id}.${field}`)) continue;
      const current = inst.value;
      const refs = JSON.stringify(nonNullAlternatives(prop));
      const isModel = prop.ui_model_type !== undefined || refs.includes('ModelIdentifierField');
      if (isModel && (current == null || (typeof current === 'object' && current.key && !installed.has(current.key)))) {
        const types: readonly string[] = prop.ui_model_type ?? (current?.type ? [current.type] : ['main']);
        const model = models.find(
            (m) =>
              types.includes(m.type) &&
              (!prop.ui_model_base || prop.ui_model_base.includes(m.base)) &&
              (!prop.ui_model_variant || prop.ui_model_variant.includes(String(m.variant))) &&
              (!prop.ui_model_format || prop.ui_model_format.includes(m.format)),
          );
        if (model) inst.value = { key: model.key, hash: model.hash, name: model.name, base: model.base, type: model.type };
      }
      if (prop.orig_required && current == null && refs.includes('"#/components/schemas/ImageField"')) inst.value = { image_name: imageName };
      if (prop.orig_required && current == null && refs.includes('"#/components/schemas/VideoField"')) inst.value = { video_name: 'input.mp4' };
    }
  }
  return json;
};

/**
 * An exposed scalar input with a value, to sweep: sweeping it over copies of its own value makes
 * several items that are all valid, whatever the field's constraints.
 */
const sweepOf = (workflow: Workflow): { sweep?: { ref: string; value: unknown } } => {
  const input = listInputs(workflow).find((i) => ['string', 'integer', 'float', 'boolean'].includes(i.kind) && i.value !== undefined && i.value !== null);
  return input ? { sweep: { ref: `${input.nodeId}.${input.fieldName}`, value: input.value } } : {};
};

/** Every default workflow whose nodes the simulator's schema knows, filled in for a server with these models. */
export const loadSoakWorkflows = (models: readonly MockModelConfig[], imageName: string): SoakWorkflow[] => {
  const index = indexSchemas(loadDefaultOpenApi());
  const out: SoakWorkflow[] = [];
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const json: Json = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
    const types: string[] = (json.nodes as Json[]).filter((n) => n.type === 'invocation').map((n) => n.data.type);
    if (types.some((t) => !index.nodes.has(t))) continue; // nodes this InvokeAI version no longer has
    let workflow: Workflow;
    try {
      workflow = Workflow.fromObject(fillRequiredInputs(models, json, imageName, index));
    } catch {
      continue;
    }
    out.push({ name: file.replace(/\.json$/, ''), workflow, ...sweepOf(workflow) });
  }
  return out;
};
