import { defaultForm, formFieldOrder, formStructureProblem, isFormEmpty, loadForm } from '../../lib/workflow/form';
import { listInputs } from '../../lib/workflow/inputs';
import type { WorkflowForm, WorkflowNode } from '../../lib/workflow/types';
import { Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { smallTemplates, smallWorkflow } from './helpers';

const load = (f: (w: any) => void) => {
  const w: any = smallWorkflow();
  f(w);
  return Workflow.fromObject(w, { templates: smallTemplates });
};
const order = (wf: ReturnType<typeof load>) => listInputs(wf).map((i) => `${i.nodeId}.${i.fieldName}`);

describe('form traversal', () => {
  it('is depth-first pre-order from rootElementId, whatever the root is called', () => {
    const form: WorkflowForm = {
      rootElementId: 'R',
      elements: {
        R: { id: 'R', type: 'container', data: { layout: 'column', children: ['c1', 'f3'] } },
        c1: { id: 'c1', parentId: 'R', type: 'container', data: { layout: 'row', children: ['f1', 'c2'] } },
        c2: { id: 'c2', parentId: 'c1', type: 'container', data: { layout: 'column', children: ['f2'] } },
        f1: { id: 'f1', parentId: 'c1', type: 'node-field', data: { fieldIdentifier: { nodeId: 'n', fieldName: 'one' }, showDescription: true } },
        f2: { id: 'f2', parentId: 'c2', type: 'node-field', data: { fieldIdentifier: { nodeId: 'n', fieldName: 'two' }, showDescription: true } },
        f3: { id: 'f3', parentId: 'R', type: 'node-field', data: { fieldIdentifier: { nodeId: 'n', fieldName: 'three' }, showDescription: true } },
        root: { id: 'root', type: 'container', data: { layout: 'column', children: [] } },
      },
    };
    expect(formFieldOrder(form).map((f) => f.fieldName)).toEqual(['one', 'two', 'three']);
  });

  it('terminates on a hand-made cyclic form', () => {
    const form: WorkflowForm = {
      rootElementId: 'R',
      elements: { R: { id: 'R', type: 'container', data: { layout: 'column', children: ['R'] } } },
    };
    expect(formFieldOrder(form)).toEqual([]);
  });
});

describe('form structure validation (validateFormStructure)', () => {
  const base = (): any => JSON.parse(JSON.stringify(smallWorkflow().form));
  it.each([
    ['a missing root', (f: any) => (f.rootElementId = 'nope'), /does not exist/],
    ['a root that is not a container', (f: any) => (f.rootElementId = 'h'), /not a container/],
    ['a root with a parentId', (f: any) => (f.elements.top.parentId = 'row'), /has a parentId/],
    ['an element its parent does not list', (f: any) => (f.elements['fa-seed'].parentId = 'top'), /not among the children/],
    ['an unreachable element', (f: any) => (f.elements.x = { id: 'x', parentId: 'top', type: 'divider' }), /not among the children/],
    ['a child listed twice', (f: any) => f.elements.top.data.children.push('h'), /reached twice/],
    ['an element whose id differs from its key', (f: any) => (f.elements.h.id = 'other'), /has the id "other"/],
  ])('rejects %s', (_, change, problem) => {
    const form = base();
    change(form);
    expect(formStructureProblem(form)).toMatch(problem);
  });

  it('accepts the forms of the fixtures and the default form', () => {
    expect(formStructureProblem(base())).toBeUndefined();
    expect(formStructureProblem(defaultForm())).toBeUndefined();
    expect(isFormEmpty(defaultForm())).toBe(true);
    expect(isFormEmpty(base())).toBe(false);
  });
});

describe('form repair on load (as the GUI repairs it)', () => {
  it('replaces an invalid form by the default one, with a warning, falling back to exposedFields', () => {
    const wf = load((w) => {
      w.form.elements.top.data.children.push('ghost');
      w.exposedFields = [{ nodeId: 'b', fieldName: 'cfg' }, { nodeId: 'a', fieldName: 'tiled' }];
    });
    expect(order(wf)).toEqual(['b.cfg', 'a.tiled']);
    expect(workflowWarnings(wf)).toEqual([expect.objectContaining({ path: '$.form', message: expect.stringMatching(/invalid form replaced/) })]);
  });

  it.each([
    ['null', null],
    ['a string', 'form'],
    ['elements of the wrong shape', { rootElementId: 'root', elements: { root: { id: 'root', type: 'container' } } }],
  ])('treats a form that is %s as invalid', (_, form) => {
    const wf = load((w) => (w.form = form));
    expect(order(wf)).toEqual([]);
    expect(wf.json.form).toEqual(defaultForm());
    if (form !== null) expect(workflowWarnings(wf)[0].path).toBe('$.form');
  });

  it('removes a form field naming a field its node lacks, from the elements and from its parent', () => {
    const wf = load((w) => (w.form.elements['fa-width'].data.fieldIdentifier.fieldName = 'gone'));
    expect(order(wf)).toEqual(['a.prompt', 'a.seed', 'b.prompt', 'b.seed']);
    expect(wf.json.form.elements['fa-width']).toBeUndefined();
    const row = wf.json.form.elements.row;
    expect(row.type === 'container' && row.data.children).toEqual(['fa-seed', 'fb-prompt']);
    expect(workflowWarnings(wf)).toEqual([
      { code: 'form-field-removed', path: '$.form.elements["fa-width"].data.fieldIdentifier.fieldName', message: expect.stringMatching(/has no input "gone"/) },
    ]);
    expect(formStructureProblem(wf.json.form)).toBeUndefined();
  });

  it('removes a form field naming an input the node does not have, even one its template has (nodes in the GUI have every input)', () => {
    const wf = load((w) => delete w.nodes[0].data.inputs.width);
    expect(order(wf)).toEqual(['a.prompt', 'a.seed', 'b.prompt', 'b.seed']);
    expect(workflowWarnings(wf).map((w) => w.code)).toEqual(['form-field-removed']);
  });

  it('uses exposedFields only when the form is empty, not when it merely has no node-field', () => {
    const notEmpty = load((w) => {
      w.form = { rootElementId: 'root', elements: { root: { id: 'root', type: 'container', data: { layout: 'column', children: ['h'] } }, h: { id: 'h', parentId: 'root', type: 'heading', data: { content: 'x' } } } };
      w.exposedFields = [{ nodeId: 'a', fieldName: 'seed' }];
    });
    expect(order(notEmpty)).toEqual([]);
    const empty = load((w) => {
      w.form = defaultForm();
      w.exposedFields = [{ nodeId: 'a', fieldName: 'seed' }, { nodeId: 'a', fieldName: 'prompt' }];
    });
    expect(order(empty)).toEqual(['a.seed', 'a.prompt']);
  });

  it('removes the form fields naming a node the workflow does not have, with a warning each, as the GUI does', () => {
    const wf = load((w) => {
      w.nodes = w.nodes.filter((n: { id: string }) => n.id !== 'a');
      w.edges = [];
    });
    expect(order(wf)).toEqual(['b.prompt', 'b.seed']);
    expect(workflowWarnings(wf).map((w) => [w.code, w.path])).toEqual([
      ['form-field-removed', '$.form.elements["fa-prompt"].data.fieldIdentifier.nodeId'],
      ['form-field-removed', '$.form.elements["fa-seed"].data.fieldIdentifier.nodeId'],
      ['form-field-removed', '$.form.elements["fa-width"].data.fieldIdentifier.nodeId'],
    ]);
    expect(workflowWarnings(wf)[0].message).toMatch(/no invocation node "a"/);
  });

  it('loadForm gives the form the GUI has: parsed, rebuilt from exposedFields when empty, then pruned', () => {
    const nodes = Workflow.fromObject(smallWorkflow(), { templates: smallTemplates }).json.nodes as WorkflowNode[];
    // The GUI checks for an empty form before pruning: a form whose only field is removed stays empty.
    const onlyGone = {
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: ['f'] } },
        f: { id: 'f', parentId: 'root', type: 'node-field', data: { fieldIdentifier: { nodeId: 'a', fieldName: 'gone' }, showDescription: false } },
      },
    };
    const r = loadForm(onlyGone, nodes, [{ nodeId: 'a', fieldName: 'seed' }], smallTemplates);
    expect(formFieldOrder(r.form)).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toEqual(['form-field-removed']);
    expect(formFieldOrder(loadForm(undefined, nodes, [{ nodeId: 'a', fieldName: 'seed' }], smallTemplates).form)).toEqual([{ nodeId: 'a', fieldName: 'seed' }]);
  });
});
