import * as E from 'fp-ts/Either';
import { BatchError, buildBatch } from '../../lib/workflow/batch';
import { listInputs } from '../../lib/workflow/inputs';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import type { NodeTemplates } from '../../lib/workflow/types';
import { updateNodes } from '../../lib/workflow/update-nodes';
import { validateWorkflow } from '../../lib/workflow/validate';
import { Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { edge, invocation, makeWorkflowJson } from './builders';
import { catchError } from './helpers';

const flux3 = () =>
  Workflow.fromObject(
    makeWorkflowJson(
      [
        invocation('d', 'flux_denoise', { num_steps: 12, guidance: 'high', board: 'auto', width: 1024 }, { version: '3.0.0', label: 'Denoise' }),
        invocation('i', 'integer', { value: 768 }),
        invocation('t', 'integer', { value: 1 }),
      ],
      [edge('i', 'value', 'd', 'height'), edge('t', 'value', 'd', 'trajectory')],
      [['d', 'num_steps'], ['d', 'board']],
    ),
  );

describe('updateNodes', () => {
  it('returns the same workflow and empty lists when every node is current', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('i', 'integer', { value: 1 })], []));
    expect(updateNodes(wf)).toEqual({ workflow: wf, updated: [], removedEdges: [], removedFormFields: [], notUpdated: [] });
  });

  it('replaces a node of an older major version as the GUI\'s user would, keeping what still fits, and says what went', () => {
    const wf = flux3();
    // Judged as the GUI judges it: on the inputs it has (a string where 4.6 wants a number), and as outdated.
    expect(validateWorkflow(wf)).toEqual(E.left([expect.objectContaining({ code: 'node-version', ref: 'd' }), expect.objectContaining({ code: 'wrong-kind', ref: 'd.guidance' })]));
    const { workflow, updated, removedEdges, removedFormFields, notUpdated } = updateNodes(wf);
    expect(updated).toEqual([
      {
        nodeId: 'd', nodeType: 'flux_denoise', label: 'Denoise', from: '3.0.0', to: offlineTemplates['flux_denoise']!.version, how: 'replaced',
        removedInputs: ['board'], resetInputs: ['guidance'], defaultedInputs: expect.arrayContaining(['guidance', 'denoising_start']),
      },
    ]);
    const d = workflow.json.nodes[0]!;
    expect(d.type === 'invocation' && d.data.inputs['num_steps']?.value).toBe(12);
    expect(d.type === 'invocation' && d.data.inputs['guidance']?.value).toBe(offlineTemplates['flux_denoise']!.inputs['guidance']!.default);
    // The edge into `height` stays; the one into an input the node never had was deleted on load.
    expect(workflowWarnings(wf).filter((w) => w.code === 'edge-removed')).toHaveLength(1);
    expect(workflow.json.edges.map((e) => e.type === 'default' && e.targetHandle)).toEqual(['height']);
    expect(removedEdges).toEqual([]);
    expect(listInputs(workflow).map((i) => i.fieldName)).toEqual(['num_steps']);
    expect(removedFormFields.map((w) => w.message)).toEqual([expect.stringMatching(/has no input "board"/)]);
    expect(notUpdated).toEqual([]);
    expect(validateWorkflow(workflow)).toEqual(E.left([expect.objectContaining({ code: 'required-unset', ref: 'd.transformer' }), expect.objectContaining({ ref: 'd.positive_text_conditioning' })]));
    expect(() => buildBatch(workflow)).not.toThrow();
    // The given workflow is as it was.
    expect(catchError(BatchError, () => buildBatch(wf)).reason).toBe('OUTDATED_NODE');
  });

  it('updates a node within its major version as the editor does, for templates other than the ones it was loaded with', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('n', 'noise', { seed: 3 })], []));
    const newer: NodeTemplates = {
      ...offlineTemplates,
      noise: { ...offlineTemplates['noise']!, version: '1.9.0', inputs: { ...offlineTemplates['noise']!.inputs, grain: { ...offlineTemplates['noise']!.inputs['seed']!, name: 'grain', default: 4 } } },
    };
    const { workflow, updated } = updateNodes({ ...wf, templates: newer });
    expect(updated).toEqual([
      expect.objectContaining({ nodeId: 'n', how: 'updated', from: offlineTemplates['noise']!.version, to: '1.9.0', defaultedInputs: expect.arrayContaining(['grain']), removedInputs: [], resetInputs: [] }),
    ]);
    const n = workflow.json.nodes[0]!;
    expect(n.type === 'invocation' && [n.data.version, n.data.inputs['grain']?.value, n.data.inputs['seed']?.value]).toEqual(['1.9.0', 4, 3]);
  });

  it('leaves nodes it cannot bring to their template, and says why', () => {
    const wf = Workflow.fromObject(
      makeWorkflowJson([invocation('x', 'my_pack_node', {}), invocation('i', 'integer', { value: 1 }, { version: '9.0.0' })], []),
    );
    const { workflow, notUpdated } = updateNodes(wf);
    expect(workflow).toBe(wf);
    expect(notUpdated.map((n) => [n.nodeId, n.reason])).toEqual([
      ['x', 'these node templates have no type "my_pack_node"'],
      ['i', expect.stringMatching(/^the node is version 9\.0\.0, newer than its type's 1\.0\.1/)],
    ]);
  });
});
