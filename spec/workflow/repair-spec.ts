import { buildGraph } from '../../lib/workflow/graph';
import { listInputs } from '../../lib/workflow/inputs';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import type { Workflow as WorkflowValue } from '../../lib/workflow/workflow';
import { Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { edge, invocation, makeWorkflowJson } from './builders';
import { deepFreeze, smallTemplates, smallWorkflow } from './helpers';

const connector = (id: string) => ({ id, type: 'connector', data: { id, type: 'connector', label: 'Connector', isOpen: true }, position: { x: 0, y: 0 } });
const notes = (id: string) => ({ id, type: 'notes', data: { id, type: 'notes', label: '', isOpen: true, notes: 'n' }, position: { x: 0, y: 0 } });
const codes = (wf: WorkflowValue) => workflowWarnings(wf).map((w) => w.code);


describe('load-time repairs, as the GUI makes them when it opens a file', () => {
  it('deletes every invalid edge, says why, and keeps the rest', () => {
    const json = makeWorkflowJson(
      [invocation('i', 'integer', { value: 3 }), invocation('m', 'mul', { a: 1, b: 2 }), notes('note'), connector('c')],
      [
        edge('i', 'value', 'm', 'a'), // fine
        edge('i', 'nope', 'm', 'b'), // no such output
        edge('i', 'value', 'm', 'nope'), // no such input
        edge('ghost', 'value', 'm', 'b'), // no such node
        edge('i', 'value', 'note', 'x'), // a notes node has no handles
        edge('i', 'value', 'c', 'in'), // into a connector: fine
        edge('c', 'out', 'm', 'b'), // out of a connector: fine
        edge('c', 'side', 'm', 'b'), // a connector has only `out`
      ],
    );
    const wf = Workflow.fromObject(deepFreeze(json));
    expect(wf.json.edges.map((e) => e.type === 'default' && `${e.source}.${e.sourceHandle}->${e.target}.${e.targetHandle}`)).toEqual([
      'i.value->m.a',
      'i.value->c.in',
      'c.out->m.b',
    ]);
    expect(workflowWarnings(wf).map((w) => [w.code, w.path, w.message])).toEqual([
      ['edge-removed', '$.edges[1]', 'invalid edge i.nope -> m.b deleted: node "i" (integer) has no output "nope"'],
      ['edge-removed', '$.edges[2]', 'invalid edge i.value -> m.nope deleted: node "m" (mul) has no input "nope"'],
      ['edge-removed', '$.edges[3]', 'invalid edge ghost.value -> m.b deleted: source node "ghost" does not exist'],
      ['edge-removed', '$.edges[4]', 'invalid edge i.value -> note.x deleted: target node "note" is a notes node'],
      ['edge-removed', '$.edges[7]', 'invalid edge c.side -> m.b deleted: connector "c" has no output "side"'],
    ]);
    expect(buildGraph(wf).edges).toHaveLength(2);
  });

  it('keeps the edges of a node whose type the templates lack (they may be older than the server), and says so once', () => {
    const json = makeWorkflowJson([invocation('x', 'my_pack_node', { v: 1 }), invocation('m', 'mul', { a: 1, b: 2 })], [edge('x', 'out', 'm', 'a')]);
    const wf = Workflow.fromObject(json);
    expect(wf.json.edges).toHaveLength(1);
    expect(codes(wf)).toEqual(['unknown-node-type']);
  });

  it('keeps an edge into an extra input of core_metadata, which takes any input', () => {
    const json = makeWorkflowJson([invocation('i', 'integer', { value: 3 }), invocation('meta', 'core_metadata', {})], [edge('i', 'value', 'meta', 'my_number')]);
    expect(Workflow.fromObject(json).json.edges).toHaveLength(1);
  });

  it('updates a node of an older minor version silently, and with a warning when inputs go', () => {
    const t = offlineTemplates['noise']!;
    const older = makeWorkflowJson([invocation('n', 'noise', { seed: 5, old_input: 1 }, { version: '1.0.0' })], []);
    const wf = Workflow.fromObject(older);
    const n = wf.json.nodes[0]!;
    expect(n.type === 'invocation' && n.data.version).toBe(t.version);
    expect(n.type === 'invocation' && Object.keys(n.data.inputs)).toEqual(Object.keys(t.inputs));
    expect(workflowWarnings(wf)).toEqual([
      { code: 'node-updated', path: '$.nodes[0].data.version', message: `node "Create Latent Noise" (n, noise 1.0.0) updated to version ${t.version}, as the GUI updates it on load; inputs its type no longer has were removed: old_input` },
    ]);
    expect(workflowWarnings(Workflow.fromObject(makeWorkflowJson([invocation('n', 'noise', { seed: 5 }, { version: '1.0.0' })], [])))).toEqual([]);
  });

  it('leaves a node of another major version as it is, with the GUI\'s "unable to update" reason', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('d', 'flux_denoise', { num_steps: 4, board: 'auto' }, { version: '3.0.0' })], []));
    const d = wf.json.nodes[0]!;
    expect(d.type === 'invocation' && d.data.version).toBe('3.0.0');
    expect(d.type === 'invocation' && Object.keys(d.data.inputs)).toEqual(['num_steps', 'board']);
    expect(workflowWarnings(wf).map((w) => [w.code, w.message])).toEqual([
      ['node-not-updated', 'node "FLUX Denoise" (d, flux_denoise 3.0.0) cannot be updated to its type\'s version 4.6.0: the major versions differ; the GUI leaves it as it is and will not run it until it is replaced'],
    ]);
  });

  it('reports an input its node type lacks on a node of the current version', () => {
    const wf = Workflow.fromObject(makeWorkflowJson([invocation('i', 'integer', { value: 3, stray: 1 })], []));
    expect(workflowWarnings(wf).map((w) => [w.code, w.message])).toEqual([['unknown-field', 'node "Integer Primitive" (i, integer 1.0.1) has input its type does not have: stray']]);
  });

  it('removes the form fields of inputs an update took away, and says so', () => {
    const json = makeWorkflowJson([invocation('n', 'noise', { seed: 5, old_input: 1 }, { version: '1.0.0' })], [], [['n', 'seed'], ['n', 'old_input']]);
    const wf = Workflow.fromObject(json);
    expect(listInputs(wf).map((i) => i.fieldName)).toEqual(['seed']);
    expect(codes(wf)).toEqual(['node-updated', 'form-field-removed']);
  });

  it('never changes the object it loads, and a repaired workflow loads again without repairs', () => {
    const json = deepFreeze(smallWorkflow() as object);
    const bad = { ...(json as Record<string, unknown>), edges: [...((json as { edges: unknown[] }).edges), edge('s', 'nope', 'a', 'seed')] };
    const wf = Workflow.fromObject(bad, { templates: smallTemplates });
    expect(codes(wf)).toEqual(['edge-removed']);
    expect(workflowWarnings(Workflow.fromJson(Workflow.toJson(wf), { templates: smallTemplates }))).toEqual([]);
  });
});
