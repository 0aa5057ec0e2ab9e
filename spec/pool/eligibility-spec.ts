// Whether a server can take a run, as a pure function of a snapshot of the server.
import { eligibility, type ServerStanding } from '../../lib/pool/eligibility';
import type { ModelSync, UnresolvedModel } from '../../lib/workflow/sync-models';
import { Workflow } from '../../lib/workflow/workflow';
import { invocation, makeWorkflowJson } from '../workflow/builders';

const wf = Workflow.fromObject(makeWorkflowJson([invocation('a', 'integer', { value: 1 })], []));
const synced = Workflow.fromObject(makeWorkflowJson([invocation('a', 'integer', { value: 2 })], []));
const server = (over: Partial<ServerStanding> = {}): ServerStanding => ({
  ref: { index: 0, url: 'http://s0' },
  accepts: () => true,
  retired: false,
  health: 'up',
  models: 'read',
  ...over,
});
const missing: UnresolvedModel = { ref: 'a.model', nodeId: 'a', fieldName: 'model', label: 'a.model', wanted: { name: 'sdxl' }, reason: 'not installed' };
const sync = (unresolved: UnresolvedModel[]) => (): ModelSync => ({ workflow: synced, changes: [], unresolved });
const noSync = (): ModelSync => {
  throw new Error('the model list was not to be consulted');
};

describe('eligibility', () => {
  it('a workflow without models goes to any accepting server in rotation, as it is', () => {
    expect(eligibility({ workflow: wf, needsModels: false }, server(), {}, noSync)).toEqual({ kind: 'ok', workflow: wf });
    expect(eligibility({ workflow: wf, needsModels: false }, server({ health: 'suspect' }), {}, noSync)).toEqual({ kind: 'later', readModels: false });
    expect(eligibility({ workflow: wf, needsModels: true }, server(), false, noSync)).toEqual({ kind: 'ok', workflow: wf });
  });

  it('a server that refuses the workflow, or whose client is retired, never takes it', () => {
    expect(eligibility({ workflow: wf, needsModels: false }, server({ accepts: () => false }), {}, noSync)).toMatchObject({ kind: 'no', why: { reason: 'accepts' } });
    expect(eligibility({ workflow: wf, needsModels: false }, server({ retired: true }), {}, noSync)).toMatchObject({ kind: 'no', why: { reason: 'unreachable' } });
  });

  it('models: read the list first; a server that cannot be read is unreachable; one lacking a model never takes it', () => {
    const needs = { workflow: wf, needsModels: true };
    expect(eligibility(needs, server({ models: 'unread' }), {}, noSync)).toEqual({ kind: 'later', readModels: true });
    expect(eligibility(needs, server({ models: 'unread', health: 'down' }), {}, noSync)).toMatchObject({ kind: 'no', why: { reason: 'unreachable' } });
    expect(eligibility(needs, server({ models: 'failed' }), {}, noSync)).toMatchObject({ kind: 'no', why: { reason: 'unreachable' } });
    expect(eligibility(needs, server(), {}, sync([missing]))).toEqual({ kind: 'no', why: { server: server().ref, reason: 'models', missing: [missing] } });
  });

  it('a server with the models takes the workflow synced to them, once it is back in rotation', () => {
    const needs = { workflow: wf, needsModels: true };
    expect(eligibility(needs, server(), {}, sync([]))).toEqual({ kind: 'ok', workflow: synced });
    expect(eligibility(needs, server({ health: 'down' }), {}, sync([]))).toEqual({ kind: 'later', readModels: false });
  });
});
