import * as E from 'fp-ts/Either';
import { produce } from 'immer';
import { validateWorkflow } from '../../lib/workflow/validate';
import { Workflow } from '../../lib/workflow/workflow';
import { readFixtureText, smallTemplates, smallWorkflow } from './helpers';
import { defaultWorkflow } from './workflow-fixtures';
import { invocation, makeWorkflowJson } from './builders';
import { serverTemplates } from '../../lib/client/templates';

const load = (f: (w: any) => void = () => undefined) => {
  const w: any = smallWorkflow();
  f(w);
  return Workflow.fromObject(w, { templates: smallTemplates });
};
const issuesOf = (wf: ReturnType<typeof load>) => {
  const r = validateWorkflow(wf);
  return E.isLeft(r) ? r.left : [];
};

describe('validateWorkflow', () => {
  it('accepts a complete workflow (Right of the same value)', () => {
    // Feed the required connection fields so that nothing is missing.
    const wf = load((w) => {
      w.edges.push({ id: 'e2', type: 'default', source: 's', sourceHandle: 'value', target: 'a', targetHandle: 'latents' });
      w.edges.push({ id: 'e3', type: 'default', source: 's', sourceHandle: 'value', target: 'b', targetHandle: 'latents' });
    });
    const r = validateWorkflow(wf);
    expect(E.isRight(r) && r.right).toBe(wf);
  });

  it('reports every problem at once, each with a path', () => {
    const wf = load((w) => {
      w.nodes[0].data.inputs.seed.value = 500; // constraint
      w.nodes[0].data.inputs.width.value = 7.5; // wrong kind
      delete w.nodes[0].data.inputs.model.value; // required direct input unset
      w.edges.push({ id: 'e2', type: 'default', source: 's', sourceHandle: 'value', target: 'a', targetHandle: 'latents' });
      // node b: latents required and fed by nothing
    });
    // Dangling references cannot be decoded; build them on a decoded value to check they are caught too.
    const broken = {
      ...wf,
      json: produce(wf.json, (d: any) => {
        d.edges.push({ id: 'e9', type: 'default', source: 'ghost', sourceHandle: 'x', target: 'a', targetHandle: 'cfg' });
        d.form.elements['fa-seed'].data.fieldIdentifier.nodeId = 'nobody';
        d.form.elements['fa-width'].data.fieldIdentifier.fieldName = 'nothing';
      }),
    };
    const issues = issuesOf(broken);
    expect(issues.map((i) => [i.code, i.path])).toEqual(
      expect.arrayContaining([
        ['dangling-edge', '$.edges[2].source'],
        ['missing-node', '$.form.elements["fa-seed"].data.fieldIdentifier.nodeId'],
        ['missing-field', '$.form.elements["fa-width"].data.fieldIdentifier.fieldName'],
        ['constraint', '$.nodes[0].data.inputs.seed'],
        ['wrong-kind', '$.nodes[0].data.inputs.width'],
        ['required-unset', '$.nodes[0].data.inputs.model'],
        ['required-unset', '$.nodes[1].data.inputs.latents'],
      ]),
    );
    expect(issues).toHaveLength(7);
    const model = issues.find((i) => i.path === '$.nodes[0].data.inputs.model')!;
    expect(model.message).toMatch(/required but has no value/);
    expect(issues.find((i) => i.path === '$.nodes[0].data.inputs.seed')!.message).toMatch(/must be <= 100/);
    expect(issues.find((i) => i.path === '$.nodes[1].data.inputs.latents')!.message).toMatch(/nothing is connected/);
  });

  it('skips inputs fed by an edge, and reports a node type the templates do not know instead of its inputs', () => {
    const wf = load((w) => {
      w.nodes[1].data.inputs.seed.value = -5; // b.seed is fed by s.value: its value is never sent
      w.nodes[0].data.type = 'custom_thing';
      w.edges.push({ id: 'e3', type: 'default', source: 's', sourceHandle: 'value', target: 'b', targetHandle: 'latents' });
    });
    const issues = issuesOf(wf);
    expect(issues.map((i) => [i.code, i.path])).toEqual([['unknown-node-type', '$.nodes[0].data.type']]);
    expect(issues[0].message).toContain('"custom_thing"');
    expect(issues[0].message).toContain('serverTemplates(client)');
  });

  it('flags the node types that InvokeAI 6.14 removed from three of its own default workflows', () => {
    const removed = (file: string) =>
      issuesOf(Workflow.fromJson(readFixtureText('default-workflows', file)))
        .filter((i) => i.code === 'unknown-node-type')
        .map((i) => i.message.match(/type "([^"]+)"/)![1])
        .sort();
    expect(removed('ESRGAN Upscaling with Canny ControlNet.json')).toEqual(['canny_image_processor']);
    expect(removed('Multi ControlNet (Canny & Depth).json')).toEqual(['canny_image_processor', 'midas_depth_image_processor']);
    expect(removed('Text to Image - SD1.5.json')).toEqual([]);
  });

  it('names the unset required model of a shipped workflow', () => {
    const wf = defaultWorkflow('Text to Image - SD1.5');
    const issues = issuesOf(wf);
    expect(issues.map((i) => i.code)).toEqual(['required-unset']);
    expect(issues[0].message).toContain('setInput(0');
  });

  it('names an input outside the form as nodeLabel.field, never by an index it does not have', () => {
    const wf = load((w) => {
      w.nodes[1].data.inputs.cfg.value = 99; // b.cfg is not in the form
      w.edges.push({ id: 'e2', type: 'default', source: 's', sourceHandle: 'value', target: 'a', targetHandle: 'latents' });
      w.edges.push({ id: 'e3', type: 'default', source: 's', sourceHandle: 'value', target: 'b', targetHandle: 'latents' });
    });
    const issues = issuesOf(wf);
    expect(issues.map((i) => i.message)).toEqual(['Input "Refiner.cfg" (b.cfg, float) cannot take 99: it must be <= 20.']);
  });

  it('reports an input its node type does not have, which the GUI will not run', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('i', 'integer', { value: 3, stray: 1 })], []));
    expect(issuesOf(wf)).toEqual([
      expect.objectContaining({ code: 'unknown-field', ref: 'i.stray', path: '$.nodes[0].data.inputs.stray', message: expect.stringMatching(/^Node "Integer Primitive" \(i, integer 1\.0\.1\) has an input "stray" that its type \(version 1\.0\.1\) does not have/) }),
    ]);
  });

  it('reports a node its template is a newer major version of, once, judging the inputs it has as the GUI does', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('c', 'color_correct', { mask_blur_radius: 8 }, { version: '1.0.0' })], []));
    const issues = issuesOf(wf);
    expect(issues.map((i) => [i.code, i.ref])).toEqual([['node-version', 'c']]);
    expect(issues[0]!.message).toMatch(/is a color_correct of version 1\.0\.0, but its type is now version 2\.0\.0: InvokeAI's editor cannot update a node across a major version/);
  });

  it('reports a workflow with nothing to run, and a batch node that feeds nothing, as the GUI does', () => {
    const onlyBatch = Workflow.fromObject(makeWorkflowJson([invocation('b', 'integer_batch', { batch_group_id: 'None', integers: [1] })], []));
    expect(issuesOf(onlyBatch).map((i) => [i.code, i.ref])).toEqual([
      ['no-nodes', '$.nodes'],
      ['batch-not-connected', 'b'],
    ]);
  });
});

