// Whether a server can take a run, as a pure function of a snapshot of the server: it must accept
// the workflow, be reachable, resolve the workflow's models (the synced workflow is what is sent),
// and be in rotation now; otherwise the run waits (`later`) or that server is out of the question
// (`no`, with the reason a `NoEligibleServerError` reports).
import { syncModels, type ModelSync, type SyncModelsOptions } from '../workflow/sync-models';
import type { Workflow } from '../workflow/workflow';
import type { Ineligibility } from './errors';
import type { PoolServerRef } from './events';
import type { ServerHealth } from './status';

/** What eligibility reads of a server. */
export interface ServerStanding {
  readonly ref: PoolServerRef;
  readonly accepts: (wf: Workflow) => boolean;
  readonly retired: boolean;
  readonly health: ServerHealth;
  /** Its model list: read (a sync may be asked for), its first read failed, or not read yet. */
  readonly models: 'read' | 'failed' | 'unread';
}

/** What eligibility reads of a run. */
export interface RunNeeds {
  readonly workflow: Workflow;
  /** The workflow has model fields. */
  readonly needsModels: boolean;
}

/** A server's verdict on a run: take it now (this workflow, synced to its models), later, or never. */
export type Eligibility =
  | { readonly kind: 'ok'; readonly workflow: Workflow }
  | { readonly kind: 'later'; readonly readModels: boolean }
  | { readonly kind: 'no'; readonly why: Ineligibility };

const later = (readModels: boolean): Eligibility => ({ kind: 'later', readModels });

/**
 * The verdict of one server on one run. `synced` gives the workflow synced to the server's models
 * (asked only when the list was read and the model check is on); `readModels` in a `later` verdict
 * says that the server's model list must be read first.
 */
export const eligibility = (run: RunNeeds, server: ServerStanding, modelSync: SyncModelsOptions | false | undefined, synced: () => ModelSync): Eligibility => {
  if (!server.accepts(run.workflow)) return { kind: 'no', why: { server: server.ref, reason: 'accepts' } };
  if (server.retired) return { kind: 'no', why: { server: server.ref, reason: 'unreachable' } };
  if (!run.needsModels || modelSync === false) return server.health === 'up' ? { kind: 'ok', workflow: run.workflow } : later(false);
  if (server.models !== 'read') {
    if (server.health === 'down' || server.models === 'failed') return { kind: 'no', why: { server: server.ref, reason: 'unreachable' } };
    return later(true);
  }
  const sync = synced();
  if (sync.unresolved.length > 0) return { kind: 'no', why: { server: server.ref, reason: 'models', missing: sync.unresolved } };
  return server.health === 'up' ? { kind: 'ok', workflow: sync.workflow } : later(false);
};

const modelNeeds = new WeakMap<Workflow, boolean>();

/** Whether the workflow has model fields, so servers are checked for its models. Worked out once per value. */
export const needsModelsOf = (wf: Workflow): boolean => {
  let needs = modelNeeds.get(wf);
  if (needs === undefined) {
    try {
      needs = syncModels(wf, []).unresolved.length > 0;
    } catch {
      // A workflow the matcher cannot read is the client's to reject.
      needs = false;
    }
    modelNeeds.set(wf, needs);
  }
  return needs;
};
