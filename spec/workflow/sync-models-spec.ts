import { readFileSync } from 'fs';
import * as fc from 'fast-check';
import { setInput, listInputs } from '../../lib/workflow/inputs';
import { ModelRecord, syncModels } from '../../lib/workflow/sync-models';
import { Workflow } from '../../lib/workflow/workflow';
import { defaultModels, modelIdentifier } from '../../lib/testing';
import { modelConfig } from '../../lib/testing/models';

const seed = (name: string) => Workflow.fromJson(readFileSync(`spec/fixtures/seed-workflows/${name}`, 'utf8'));
const flux = seed('flux-image-to-image.json');
const refine = seed('sdxl-flux-refine.json');
const sdxl = seed('sdxl-text-to-image.json');
const nodes = seed('example-nodes.json');
const models = defaultModels();
const installed = (name: string, type?: string) => models.find((m) => m.name === name && (type === undefined || m.type === type))!;

const valueOf = (wf: Workflow, nodeId: string, field: string): unknown => {
  const node = wf.json.nodes.find((n) => n.id === nodeId);
  return node?.type === 'invocation' ? node.data.inputs[field]?.value : undefined;
};

describe('syncModels', () => {
  it('points every model field of a seed workflow at the simulator\'s models by name, never changing the input', () => {
    const before = JSON.stringify(Workflow.toObject(flux));
    const result = syncModels(flux, models);
    expect(result.unresolved).toEqual([]);
    const loader = 'f8d9d7c8-9ed7-4bd7-9e42-ab0e89bfac90';
    expect(result.changes.map((c) => [c.ref, c.from?.name, c.to.key, c.by])).toEqual([
      [`${loader}.model`, 'flux1-schnell', installed('flux1-schnell').key, 'name'],
      [`${loader}.t5_encoder_model`, 't5_bnb_int8_quantized_encoder', installed('t5_bnb_int8_quantized_encoder').key, 'name'],
      [`${loader}.clip_embed_model`, 'clip-vit-large-patch14', installed('clip-vit-large-patch14').key, 'name'],
      [`${loader}.vae_model`, 'FLUX.1-schnell_ae', installed('FLUX.1-schnell_ae').key, 'name'],
    ]);
    expect(valueOf(result.workflow, loader, 'model')).toEqual(modelIdentifier(installed('flux1-schnell')));
    expect(listInputs(result.workflow)[0].value).toEqual(modelIdentifier(installed('flux1-schnell')));
    expect(JSON.stringify(Workflow.toObject(flux))).toBe(before);
    expect(Object.isFrozen(result.workflow.json.nodes)).toBe(true);
  });

  it('matches by hash before name', () => {
    const seedValue = listInputs(flux)[0].value as { hash: string };
    const sameFile = modelConfig({ name: 'renamed-schnell', type: 'main', base: 'flux', hash: seedValue.hash });
    const result = syncModels(flux, [...models, sameFile]);
    expect(result.changes[0]).toMatchObject({ fieldName: 'model', by: 'hash', to: { key: sameFile.key, name: 'renamed-schnell' } });
  });

  it('syncs hidden (non-form) model fields too, and skips fields fed by an edge', () => {
    const result = syncModels(refine, models, { byBase: true });
    const hidden = result.changes.filter((c) => !listInputs(refine).some((i) => `${i.nodeId}.${i.fieldName}` === c.ref));
    expect(hidden.map((c) => `${c.nodeId}.${c.fieldName}`).sort()).toEqual(
      ['clip_embed_model', 't5_encoder_model', 'vae_model'].map((f) => `55727cb5-6a2c-45ab-963d-ce9ed2e1471c.${f}`),
    );
    expect(result.unresolved).toEqual([]);
    // the ControlNets' control_model fields take the "Any Model" node's output: never touched
    const none = syncModels(refine, []);
    expect(none.unresolved.some((u) => u.fieldName === 'control_model')).toBe(false);
  });

  it('puts a model it cannot match in unresolved, with what was wanted and why, and keeps the value', () => {
    const result = syncModels(sdxl, models);
    expect(result.changes).toEqual([]);
    expect(result.workflow).toBe(sdxl);
    expect(result.unresolved).toHaveLength(1);
    const [u] = result.unresolved;
    expect(u).toMatchObject({ ref: 'sdxl_model_loader:PwBr7RXRsy.model', wanted: { name: 'juggernautXL_v9Rundiffusionphoto2', base: ['sdxl'], type: ['main'] } });
    expect(u.reason).toContain('juggernautXL_v9Rundiffusionphoto2');
    expect(u.reason).toContain('byBase');
    const byBase = syncModels(sdxl, models, { byBase: true });
    expect(byBase.unresolved).toEqual([]);
    expect(byBase.changes).toEqual([expect.objectContaining({ by: 'base', to: modelIdentifier(installed('juggernautXL_v9')) })]);
  });

  it('never throws: with no models installed, every set field is unresolved and the workflow is returned as is', () => {
    const result = syncModels(refine, [], { byBase: true });
    expect(result.workflow).toBe(refine);
    expect(result.changes).toEqual([]);
    expect(result.unresolved.length).toBeGreaterThan(5);
  });

  it('leaves a model the user set alone (it is installed), unless onlyUnset is false', () => {
    const mine = { ...modelIdentifier(installed('flux1-dev')), name: 'my dev' };
    const userSet = setInput(0, mine)(flux);
    const kept = syncModels(userSet, models);
    expect(kept.changes.map((c) => c.fieldName)).not.toContain('model');
    expect(listInputs(kept.workflow)[0].value).toEqual(mine);
    const redone = syncModels(userSet, models, { onlyUnset: false });
    expect(redone.changes.find((c) => c.fieldName === 'model')).toMatchObject({ by: 'hash', from: mine, to: modelIdentifier(installed('flux1-dev')) });
  });

  it('matches names within the same type (a VAE and a ControlNet may share a name)', () => {
    const anyModelNode = 'ad05198a-7fb1-44a4-945b-ad17315f7471';
    const main = modelConfig({ name: 'FLUX.1-dev-Controlnet-Union', type: 'main', base: 'flux' });
    const control = modelConfig({ name: 'FLUX.1-dev-Controlnet-Union', type: 'controlnet', base: 'flux' });
    for (const list of [[...models, main, control], [...models, control, main]]) {
      const result = syncModels(refine, list);
      expect(result.changes.find((c) => c.nodeId === anyModelNode)).toMatchObject({ by: 'name', to: { key: control.key, type: 'controlnet' } });
    }
  });

  it('by base, prefers the same type, then a stable order whatever the list order', () => {
    const anyModelNode = 'ad05198a-7fb1-44a4-945b-ad17315f7471';
    const b = modelConfig({ name: 'b-flux-control', type: 'controlnet', base: 'flux' });
    const a = modelConfig({ name: 'a-flux-control', type: 'controlnet', base: 'flux' });
    for (const list of [[...models, b, a], [a, ...models, b].reverse()]) {
      const result = syncModels(refine, list, { byBase: true, byName: false, byHash: false });
      expect(result.changes.find((c) => c.nodeId === anyModelNode)).toMatchObject({ by: 'base', to: { key: a.key } });
    }
  });

  it('fills an unset required field only by base, and leaves unset optional fields unset', () => {
    const control = 'flux_controlnet';
    const plain = syncModels(nodes, models);
    expect(plain.unresolved).toEqual([expect.objectContaining({ fieldName: 'control_model', wanted: { base: ['flux'], type: ['controlnet'] } })]);
    expect(plain.unresolved[0].reason).toContain('unset');
    const withControl = [...models, modelConfig({ name: 'flux-canny', type: 'controlnet', base: 'flux' })];
    const filled = syncModels(nodes, withControl, { byBase: true });
    expect(filled.changes).toEqual([expect.objectContaining({ from: null, by: 'base', to: expect.objectContaining({ name: 'flux-canny' }) })]);
    expect(filled.changes[0].nodeId).toBe(nodes.json.nodes.find((n) => n.type === 'invocation' && n.data.type === control)?.id);
    // core_metadata's model fields (optional) stay unset
    const t2i = syncModels(sdxl, models, { byBase: true });
    expect(t2i.changes.every((c) => !c.nodeId.startsWith('core_metadata'))).toBe(true);
  });

  describe('by base, a field that accepts several bases prefers the main model\'s base', () => {
    const t2i = Workflow.fromJson(readFileSync('spec/fixtures/default-workflows/Text to Image - SDXL.json', 'utf8'));
    const vaeRef = (wf: Workflow) => listInputs(wf).find((i) => i.fieldName === 'vae_model')!;

    it('gives InvokeAI\'s SDXL text-to-image the SDXL VAE (its main model is chosen in the same sync), whatever the list order', () => {
      expect(vaeRef(t2i).constraints.modelBase).toEqual(expect.arrayContaining(['sd-1', 'sdxl', 'flux']));
      for (const list of [[...models], [...models].reverse()]) {
        const result = syncModels(t2i, list, { byBase: true });
        expect(result.unresolved).toEqual([]);
        const vae = result.changes.find((c) => c.fieldName === 'vae_model');
        expect(vae).toMatchObject({ by: 'base', to: modelIdentifier(installed('sdxl-vae-fp16-fix')) });
        expect(result.changes.find((c) => c.fieldName === 'model')?.to.base).toBe('sdxl');
      }
    });

    it('follows a main model already set, and without a model of that base, the field\'s order of bases', () => {
      const loader = listInputs(t2i).find((i) => i.fieldName === 'model')!;
      // The SDXL loader accepts only sdxl; an installed model it names is kept (onlyUnset), and steers the VAE.
      const sdxlMain = modelConfig({ name: 'another-sdxl', type: 'main', base: 'sdxl' });
      const withMain = setInput(loader.index, modelIdentifier(sdxlMain))(t2i);
      const kept = syncModels(withMain, [...models, sdxlMain], { byBase: true });
      expect(kept.changes.map((c) => c.fieldName)).toEqual(['vae_model']);
      expect(kept.changes[0].to.name).toBe('sdxl-vae-fp16-fix');
      // Without an SDXL VAE installed, the field's own order of bases decides (sd-1 before flux).
      const noSdxlVae = models.filter((m) => m.name !== 'sdxl-vae-fp16-fix');
      const fallback = syncModels(t2i, noSdxlVae, { byBase: true });
      expect(vaeRef(t2i).constraints.modelBase!.indexOf('sd-1')).toBeLessThan(vaeRef(t2i).constraints.modelBase!.indexOf('flux'));
      expect(fallback.changes.find((c) => c.fieldName === 'vae_model')?.to.name).toBe('sd-vae-ft-mse');
    });
  });

  it('reports every field when all strategies are off', () => {
    const result = syncModels(sdxl, models, { byHash: false, byName: false });
    expect(result.unresolved[0].reason).toContain('turned off');
  });

  it('for any subset of installed models: never throws, and each set field is changed, unresolved or already installed', () => {
    const fields = (wf: Workflow) => syncModels(wf, [], { onlyUnset: false }).unresolved.map((u) => u.ref);
    fc.assert(
      fc.property(fc.subarray([...models]), fc.boolean(), fc.boolean(), (subset: ModelRecord[], byName, byBase) => {
        for (const wf of [flux, refine, sdxl]) {
          const result = syncModels(wf, subset, { byName, byBase });
          const keys = new Set(subset.map((m) => m.key));
          for (const ref of fields(wf)) {
            const changed = result.changes.some((c) => c.ref === ref);
            const unresolved = result.unresolved.some((u) => u.ref === ref);
            const [nodeId, field] = ref.split('.');
            const current = valueOf(wf, nodeId, field) as { key: string };
            expect([changed, unresolved, keys.has(current.key)].filter(Boolean)).toHaveLength(1);
          }
          for (const c of result.changes) expect(keys.has(c.to.key)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });
});
