import * as E from 'fp-ts/Either';
import * as fc from 'fast-check';
import { pipe } from 'fp-ts/function';
import { InputError } from '../../lib/workflow/errors';
import { exposeInput, hideInput, tryExposeInput } from '../../lib/workflow/expose';
import { defaultForm, formStructureProblem } from '../../lib/workflow/form';
import { buildGraph } from '../../lib/workflow/graph';
import { connectedInputs, getInput, listInputs, setInput } from '../../lib/workflow/inputs';
import type { InvocationNode, WorkflowInput } from '../../lib/workflow/types';
import type { Workflow as WorkflowValue } from '../../lib/workflow/workflow';
import { makeWorkflow, Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { catchInputError } from './helpers';
import { defaultWorkflow, defaultWorkflowNames } from './workflow-fixtures';

const t2i = defaultWorkflow('Text to Image - SDXL');
const NOISE = '55705012-79b9-4aac-9f26-c0b10309785b';
const RANDOM_SEED = 'ea94bc37-d995-4a83-aa99-4af42479f2f2';

/** What identifies an input to a user: its index, where it lives, its label and value. */
const shape = (i: WorkflowInput) => ({ index: i.index, ref: `${i.nodeId}.${i.fieldName}`, label: i.label, value: i.value });
const node = (wf: WorkflowValue, id: string): InvocationNode => wf.json.nodes.find((n) => n.id === id) as InvocationNode;

describe('exposeInput', () => {
  const sized = pipe(t2i, exposeInput('noise.width', { label: 'Width' }), exposeInput('noise.height', { label: 'Height' }));

  it('adds InvokeAI\'s SDXL noise size to the form as the last inputs, which setInput then sets; existing indices stay', () => {
    const before = listInputs(t2i);
    const after = listInputs(sized);
    expect(after).toHaveLength(before.length + 2);
    expect(after.slice(0, before.length).map(shape)).toEqual(before.map(shape));
    expect(after.slice(before.length).map(shape)).toEqual([
      { index: 5, ref: `${NOISE}.width`, label: 'Width', value: 1024 },
      { index: 6, ref: `${NOISE}.height`, label: 'Height', value: 1024 },
    ]);
    const set = pipe(sized, setInput('Width', 832), setInput('Height', 1216));
    expect(node(set, NOISE).data.inputs['width']?.value).toBe(832);
    const graphNoise = buildGraph(set).nodes[NOISE] as unknown as { width: number; height: number };
    expect([graphNoise.width, graphNoise.height]).toEqual([832, 1216]);
    // The size was not settable before: it is not an input of InvokeAI's form.
    expect(() => setInput('Width', 832)(t2i)).toThrow(InputError);
  });

  it('never changes the workflow it is given, and shares what it does not change', () => {
    const before = Workflow.toJson(t2i);
    const next = exposeInput('noise.width', { label: 'Width' })(t2i);
    expect(Workflow.toJson(t2i)).toBe(before);
    expect(node(t2i, NOISE).data.inputs['width']?.label).toBe('');
    expect(Object.isFrozen(next.json.form.elements)).toBe(true);
    expect(Object.isFrozen(node(next, NOISE).data.inputs['width'])).toBe(true);
    next.json.nodes.forEach((n, i) => {
      if (n.id !== NOISE) expect(n).toBe(t2i.json.nodes[i]);
    });
    for (const [id, el] of Object.entries(t2i.json.form.elements)) if (id !== t2i.json.form.rootElementId) expect(next.json.form.elements[id]).toBe(el);
    expect(next.json.edges).toBe(t2i.json.edges);
    // Without a label, the node is not touched at all.
    expect(exposeInput('noise.width')(t2i).json.nodes).toBe(t2i.json.nodes);
  });

  it('names a node input by id, label, template title, unique node type, or FieldIdentifier', () => {
    const refs = [`${NOISE}.width`, 'Create Latent Noise.width', 'noise.width', { nodeId: NOISE, fieldName: 'width' }];
    for (const ref of refs) expect(listInputs(exposeInput(ref)(t2i)).at(-1)).toMatchObject({ nodeId: NOISE, fieldName: 'width', label: 'Width' });
    // a user label ("Random Seed"), and a node label with a dot in it
    expect(listInputs(exposeInput('Random Seed.high')(t2i)).at(-1)).toMatchObject({ nodeId: RANDOM_SEED, fieldName: 'high' });
    const dotted = Workflow.fromObject({
      ...JSON.parse(Workflow.toJson(t2i)),
      nodes: t2i.json.nodes.map((n) => (n.id === NOISE ? { ...n, data: { ...n.data, label: 'Noise v1.5' } } : n)),
    });
    expect(listInputs(exposeInput('Noise v1.5.height')(dotted)).at(-1)).toMatchObject({ nodeId: NOISE, fieldName: 'height' });
  });

  it('is idempotent: a field already in the form returns the same workflow', () => {
    const once = exposeInput('noise.width', { label: 'Width' })(t2i);
    expect(exposeInput('noise.width', { label: 'Width' })(once)).toBe(once);
    expect(exposeInput(`${NOISE}.width`)(once)).toBe(once);
    expect(exposeInput('Positive Prompt.value')(t2i)).toBe(t2i);
  });

  it('says which node inputs exist when the field is unknown: the node\'s, or every one that could be added', () => {
    const onNode = catchInputError(() => exposeInput('noise.widht')(t2i));
    expect(onNode.name).toBe('InputError');
    expect(onNode.issues[0]).toMatchObject({ code: 'unknown-ref', ref: 'noise.widht' });
    expect(onNode.issues[0].candidates).toEqual(expect.arrayContaining([expect.stringContaining(`ref "${NOISE}.width"`), expect.stringContaining(`ref "${NOISE}.use_cpu"`)]));
    expect(onNode.message).toContain('has no input "widht"');

    const noNode = catchInputError(() => exposeInput('nosie.width')(t2i));
    expect(noNode.issues[0].code).toBe('unknown-ref');
    const candidates = noNode.issues[0].candidates ?? [];
    // node inputs outside the form are listed, not only the form's inputs ...
    expect(candidates).toEqual(expect.arrayContaining([expect.stringContaining('"Create Latent Noise.width"'), expect.stringContaining('"Random Seed.low"')]));
    // ... but never one that could not be added: fed by an edge, or connection only
    expect(candidates.some((c) => c.includes(`ref "${NOISE}.seed"`))).toBe(false);
    expect(candidates.some((c) => c.includes('.latents"'))).toBe(false);

    expect(catchInputError(() => exposeInput('width')(t2i)).message).toContain('nodeId.fieldName');
    expect(catchInputError(() => exposeInput({ nodeId: 'nope', fieldName: 'width' })(t2i)).issues[0].code).toBe('unknown-ref');
  });

  it('refuses an ambiguous name, listing each node it could mean', () => {
    // both prompt nodes are "String Primitive" nodes (type `string`)
    for (const ref of ['String Primitive.value', 'string.value']) {
      const e = catchInputError(() => exposeInput(ref)(t2i));
      expect(e.issues[0]).toMatchObject({ code: 'ambiguous-ref', ref });
      expect(e.issues[0].candidates).toHaveLength(2);
      expect(e.message).toContain('nodeId.fieldName');
    }
  });

  it('refuses a field fed by an edge (naming the source) and a connection-only field', () => {
    expect(connectedInputs(t2i.json.edges).has(`${NOISE}\u0000seed`)).toBe(true);
    const fed = catchInputError(() => exposeInput('noise.seed')(t2i));
    expect(fed.issues[0]).toMatchObject({ code: 'connected', ref: `${NOISE}.seed` });
    expect(fed.message).toContain(RANDOM_SEED);
    const connectionOnly = catchInputError(() => exposeInput('l2i.latents')(t2i));
    expect(connectionOnly.issues[0]).toMatchObject({ code: 'wrong-kind' });
    expect(connectionOnly.message).toContain('connection');
    const either = tryExposeInput('noise.seed')(t2i);
    expect(E.isLeft(either) && either.left instanceof InputError).toBe(true);
  });

  it('exports a form the editor loads: it passes the loader\'s form validation, with the same inputs and labels', () => {
    const exported = JSON.parse(Workflow.toJson(sized)) as Record<string, unknown>;
    const reloaded = Workflow.fromObject(exported);
    expect(workflowWarnings(reloaded)).toEqual([]);
    expect(reloaded.json.form).toEqual(sized.json.form);
    expect(listInputs(reloaded).map(shape)).toEqual(listInputs(sized).map(shape));
    expect(formStructureProblem(sized.json.form)).toBeUndefined();
    const element = Object.values(sized.json.form.elements).find((el) => el.type === 'node-field' && el.data.fieldIdentifier.fieldName === 'width');
    expect(element).toMatchObject({ parentId: 'root', data: { showDescription: true, settings: { type: 'integer-field-config' } } });
    // The legacy list is left as the GUI leaves it: the form is authoritative.
    expect(sized.json.exposedFields).toBe(t2i.json.exposedFields);
  });

  it('materialises an empty form from exposedFields first, so their indices do not move', () => {
    const formless = makeWorkflow({ ...t2i.json, form: defaultForm() }, t2i.templates);
    const next = exposeInput('noise.width')(formless);
    expect(listInputs(next).map((i) => `${i.nodeId}.${i.fieldName}`)).toEqual([
      ...t2i.json.exposedFields.map((f) => `${f.nodeId}.${f.fieldName}`),
      `${NOISE}.width`,
    ]);
    // With nothing exposed at all, the field is the first input.
    const bare = makeWorkflow({ ...t2i.json, form: defaultForm(), exposedFields: [] }, t2i.templates);
    expect(listInputs(exposeInput('noise.width')(bare)).map(shape)).toEqual([{ index: 0, ref: `${NOISE}.width`, label: 'Width', value: 1024 }]);
  });

  it('for any default workflow and any of its addable inputs: indices stay, the new ones come last, and the export reloads the same', () => {
    const names = defaultWorkflowNames();
    const addable = (wf: WorkflowValue): string[] => {
      const connected = connectedInputs(wf.json.edges);
      const inForm = new Set(listInputs(wf).map((i) => `${i.nodeId}.${i.fieldName}`));
      return wf.json.nodes.flatMap((n) =>
        n.type !== 'invocation'
          ? []
          : Object.values(wf.templates[n.data.type]?.inputs ?? {})
              .filter((f) => f.input !== 'connection' && f.kind !== 'connection' && !connected.has(`${n.id}\u0000${f.name}`) && !inForm.has(`${n.id}.${f.name}`))
              .map((f) => `${n.id}.${f.name}`),
      );
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...names).chain((name) => {
          const wf = defaultWorkflow(name);
          return fc.tuple(fc.constant(wf), fc.uniqueArray(fc.constantFrom(...addable(wf)), { maxLength: 4 }));
        }),
        ([wf, refs]) => {
          const next = refs.reduce((acc, ref) => exposeInput(ref)(acc), wf);
          const inputs = listInputs(next);
          expect(inputs.slice(0, listInputs(wf).length).map(shape)).toEqual(listInputs(wf).map(shape));
          expect(inputs.slice(listInputs(wf).length).map((i) => `${i.nodeId}.${i.fieldName}`)).toEqual(refs);
          const reloaded = Workflow.fromJson(Workflow.toJson(next));
          expect(listInputs(reloaded).map(shape)).toEqual(inputs.map(shape));
          expect(workflowWarnings(reloaded)).toEqual(workflowWarnings(Workflow.fromJson(Workflow.toJson(wf))));
          // hideInput undoes it
          const hidden = refs.reduce((acc, ref) => hideInput(ref)(acc), next);
          expect(listInputs(hidden).map(shape)).toEqual(listInputs(wf).map(shape));
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('hideInput', () => {
  it('removes a form input by any ref; the ones after it move up', () => {
    const before = listInputs(t2i);
    for (const ref of [1, 'Negative Prompt', 'Negative Prompt.value', '719dabe8-8297-4749-aea1-37be301cd425.value']) {
      const next = hideInput(ref)(t2i);
      expect(listInputs(next).map((i) => i.label)).toEqual(before.filter((i) => i.index !== 1).map((i) => i.label));
      expect(getInput(next, 1).label).toBe('Model');
      expect(formStructureProblem(next.json.form)).toBeUndefined();
    }
  });

  it('is the inverse of exposeInput, and leaves a field outside the form alone', () => {
    const exposed = exposeInput('noise.width')(t2i);
    expect(hideInput('noise.width')(exposed).json.form).toEqual(t2i.json.form);
    expect(hideInput('Width')(exposed).json.form).toEqual(t2i.json.form);
    expect(hideInput('noise.use_cpu')(t2i)).toBe(t2i);
    expect(() => hideInput('Nope')(t2i)).toThrow(InputError);
    expect(() => hideInput(99)(t2i)).toThrow(InputError);
  });

  it('hiding every input leaves a form that stays empty when reloaded (exposedFields do not bring them back)', () => {
    const empty = listInputs(t2i).reduce((acc) => hideInput(0)(acc), t2i);
    expect(listInputs(empty)).toEqual([]);
    expect(empty.json.exposedFields).toEqual([]);
    expect(listInputs(Workflow.fromJson(Workflow.toJson(empty)))).toEqual([]);
    expect(listInputs(t2i)).toHaveLength(5);
  });
});
