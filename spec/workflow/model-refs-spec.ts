// A model input set by name or key, as the CLI's --set does: kept as a reference by setInput,
// resolved against a server's model list by syncModels and by a run, refused when ambiguous.
import * as E from 'fp-ts/Either';
import { readFileSync } from 'fs';
import { defaultModels, modelIdentifier } from '../../lib/testing';
import { getInput, setInput } from '../../lib/workflow/inputs';
import { resolveModelReferences } from '../../lib/workflow/model-refs';
import { findModel, syncModels, type ModelRecord } from '../../lib/workflow/sync-models';
import { Workflow } from '../../lib/workflow/workflow';
import { validateWorkflow } from '../../lib/workflow/validate';
import { catchInputError } from './helpers';

const sdxl = Workflow.fromJson(readFileSync('demos/workflows/Text to Image - SDXL.json', 'utf8'));
const models = defaultModels();
const installed = (name: string) => models.find((m) => m.name === name)!;
const mainSdxl = { modelBase: ['sdxl'], modelType: ['main'] };

describe('setInput on a model input', () => {
  it('takes a name or key and keeps it as a reference (no key yet), valid until a server resolves it', () => {
    const wf = setInput('Model', 'juggernautXL_v9')(sdxl);
    expect(getInput(wf, 'Model').value).toEqual({ key: '', hash: '', name: 'juggernautXL_v9', base: '', type: '' });
    expect(E.isLeft(validateWorkflow(setInput('VAE (use the FP16 model)', 'sdxl-vae-fp16-fix')(wf)))).toBe(false);
  });

  it('takes a model config as the server lists it, keeping only the identifier (a missing hash is empty)', () => {
    const { hash: _hash, ...noHash } = installed('juggernautXL_v9');
    const wf = setInput('Model', noHash)(sdxl);
    const { key, name, base, type } = installed('juggernautXL_v9');
    expect(getInput(wf, 'Model').value).toEqual({ key, hash: '', name, base, type });
  });

  it('still checks a full identifier against the input\'s bases and refuses an empty name', () => {
    expect(catchInputError(() => setInput('Model', modelIdentifier(installed('flux1-dev')))(sdxl)).message).toContain('must be a model of base sdxl');
    expect(catchInputError(() => setInput('Model', '')(sdxl)).message).toContain("must be a model identifier {key, hash, name, base, type}, or the name or key of a model");
  });
});

describe('findModel', () => {
  const twins: ModelRecord[] = [
    { key: 'k1', hash: 'h1', name: 'twin', base: 'sdxl', type: 'main' },
    { key: 'k2', hash: 'h2', name: 'twin', base: 'sdxl', type: 'main' },
    { key: 'k3', hash: 'h3', name: 'other', base: 'sd-1', type: 'main' },
  ];
  it('finds one model by key or by name among those the input takes', () => {
    expect(findModel(twins, 'k2', mainSdxl)).toEqual(E.right(twins[1]));
    expect(findModel(models, 'juggernautXL_v9', mainSdxl)).toEqual(E.right(installed('juggernautXL_v9')));
  });
  it('refuses a name that several fitting models have, listing them with their keys', () => {
    const r = findModel(twins, 'twin', mainSdxl);
    expect(r).toEqual(E.left(expect.stringContaining('2 installed models that fit are named "twin"; give one\'s key instead')));
    expect(E.isLeft(r) && r.left).toContain('key k1');
  });
  it('says when the named model exists but does not fit, and when nothing has that name, listing what fits', () => {
    expect(findModel(twins, 'other', mainSdxl)).toEqual(E.left(expect.stringContaining('"other" is other (sd-1 main, key k3), which this input does not take. Models that fit:\n  twin (sdxl main, key k1)')));
    expect(findModel(twins, 'nothing', mainSdxl)).toEqual(E.left(expect.stringContaining('the server has no model named or keyed "nothing"')));
  });
});

describe('resolving references', () => {
  it('resolveModelReferences points each reference at the installed model', () => {
    const wf = setInput('Model', 'juggernautXL_v9')(sdxl);
    const r = resolveModelReferences(wf, models);
    expect(E.isRight(r) && getInput(r.right, 'Model').value).toEqual(modelIdentifier(installed('juggernautXL_v9')));
    expect(resolveModelReferences(sdxl, models)).toEqual(E.right(sdxl));
  });

  it('resolveModelReferences lists every reference it cannot resolve', () => {
    const wf = setInput('VAE (use the FP16 model)', 'no-such-vae')(setInput('Model', 'flux1-dev')(sdxl));
    const r = resolveModelReferences(wf, models);
    const messages = E.isLeft(r) ? r.left.map((i) => i.message) : [];
    expect(messages).toEqual([
      expect.stringMatching(/^Input #2 "Model" \(.*, model\) was set to "flux1-dev", but "flux1-dev" is flux1-dev \(flux main, key .*\), which this input does not take\. Models that fit:\n  juggernautXL_v9 \(sdxl main/),
      expect.stringMatching(/^Input #3 "VAE \(use the FP16 model\)" .* was set to "no-such-vae", but the server has no model named or keyed "no-such-vae"\. Models that fit:/),
    ]);
  });

  it('syncModels resolves a reference whatever its strategies, and reports one it cannot resolve', () => {
    const wf = setInput('Model', installed('juggernautXL_v9').key)(sdxl);
    const sync = syncModels(wf, models, { byHash: false, byName: false });
    expect(sync.changes.find((c) => c.fieldName === 'model')).toMatchObject({ by: 'key', to: modelIdentifier(installed('juggernautXL_v9')) });
    const unknown = syncModels(setInput('Model', 'no-such-model')(sdxl), models, { byBase: true });
    expect(unknown.unresolved.find((u) => u.fieldName === 'model')).toMatchObject({ wanted: { name: 'no-such-model' }, reason: expect.stringContaining('no model named or keyed "no-such-model"') });
  });
});
