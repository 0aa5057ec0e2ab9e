// The errors a pool run stream ends with, besides those of the client's runs.
import type { UnresolvedModel } from '../workflow/sync-models';
import type { PoolServerRef } from './events';

/** Why one server of the pool cannot run a workflow. */
export interface Ineligibility {
  readonly server: PoolServerRef;
  /** `accepts`: the server's `accepts` predicate refused the workflow; `models`: models it cannot resolve; `unreachable`: its model list could not be read. */
  readonly reason: 'accepts' | 'models' | 'unreachable';
  /** With `models`: the fields it could not resolve. */
  readonly missing?: ReadonlyArray<UnresolvedModel>;
}

const describeMissing = (missing: ReadonlyArray<UnresolvedModel>): string =>
  missing.map((m) => `${m.label} (${m.wanted.name ?? m.wanted.key ?? [...(m.wanted.base ?? []), ...(m.wanted.type ?? [])].join('/')})`).join(', ');

/** No server of the pool can run the workflow: none accepts it, or none has the models it needs. */
export class NoEligibleServerError extends Error {
  override readonly name = 'NoEligibleServerError';
  /** The models no server resolves (those of the server that came closest). */
  readonly missingModels: ReadonlyArray<UnresolvedModel>;
  constructor(readonly servers: ReadonlyArray<Ineligibility>) {
    const withModels = servers.filter((s) => s.reason === 'models');
    const closest = [...withModels].sort((a, b) => (a.missing?.length ?? 0) - (b.missing?.length ?? 0))[0];
    const missingModels = closest?.missing ?? [];
    super(
      `No server of the pool can run this workflow: ${servers
        .map((s) =>
          s.reason === 'accepts'
            ? `${s.server.url} does not accept it`
            : s.reason === 'unreachable'
              ? `${s.server.url} is unreachable`
              : `${s.server.url} lacks ${describeMissing(s.missing ?? [])}`,
        )
        .join('; ')}. Install the missing models on a server (or point the workflow at installed ones with setInput / syncModels), or widen a server's accepts.`,
    );
    this.missingModels = missingModels;
  }
}

/** The pool was closed while the run was waiting or running. */
export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
  constructor() {
    super('The pool was closed before the run ended; its unfinished items were canceled unless cancelOnUnsubscribe was false. Close the pool only after its runs have ended.');
  }
}
