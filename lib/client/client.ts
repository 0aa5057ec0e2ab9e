// createClient: one InvokeAI server as a client object: its transport (`ClientContext`) and its runs
// (the run pipeline). Its server resources (`queue(client)`, `images(client)` ...) are reached
// through accessors of their own, so that an app bundles only the resources it imports.
import { Observable, defer } from 'rxjs';
import type { ServerEvent } from '../protocol/events';
import type { ConnectionState, SocketDiagnostic } from '../transport/socket';
import { ClientContext, ClientOptions, createClientContext } from '../transport/context';
import type { RunEvent, RunResult } from '../run/events';
import type { Workflow } from '../workflow/workflow';
import { runMany, settleRun } from '../run/many';
import type { AttachOptions, RunManyEvent, RunManyOptions, RunOptions, RunRequest } from '../run/options';
import { attachPipeline } from '../run/attach';
import { runPipeline } from '../run/run';
import { closeClientRuns } from '../run/dispatcher';
import { withModelsResolved } from '../run/model-references';
import { modelsResource } from './models';
import { ResourceDiagnostic, diagnosticsOf } from './resource';

/**
 * The client: its transport and its runs. Its server resources are functions of it, imported by
 * name: `queue(client)`, `images(client)`, `videos(client)`, `boards(client)`, `models(client)`,
 * `workflows(client)`, `app(client)`, `serverTemplates(client)`.
 */
export interface InvokeAIClient {
  /** Every decoded socket event, over one shared connection (opened while anyone listens). */
  readonly events$: Observable<ServerEvent>;
  /** The socket's connection state. */
  readonly connection$: Observable<ConnectionState>;
  /** Socket payloads that did not decode, frames that were ignored. */
  readonly diagnostics$: Observable<SocketDiagnostic>;
  /**
   * Releases the socket and its timers; the streams complete, and each run still going errors with
   * `ConnectionLostError` after canceling what it left on the server (unless `cancelOnUnsubscribe:
   * false`), as when its subscriber leaves. Resolves once those cancels were answered; never rejects.
   */
  readonly close: () => Promise<void>;
  /** The transport, for resource modules and the run pipeline. */
  readonly context: ClientContext;
  /** Runs a workflow: cold; subscribing enqueues; unsubscribing before the end cancels (see `RunOptions`). */
  readonly run: (wf: Workflow, options?: RunOptions) => Observable<RunEvent>;
  /** The same run as a Promise, settled when every item has ended. */
  readonly submit: (wf: Workflow, options?: RunOptions) => Promise<RunResult>;
  /** Many runs, at most `concurrency` at once, their events tagged with the workflow's index. */
  readonly runMany: (workflows: Iterable<Workflow | RunRequest>, options?: RunManyOptions) => Observable<RunManyEvent>;
  /**
   * Follows a batch enqueued earlier, by this process or another: the events of a run, to the end
   * of every item (`enqueued` has `attached: true`); outputs mapped by the workflow stored with the
   * batch, or `options.workflow`. `AttachError` when the server has no such batch.
   */
  readonly attach: (batchId: string, options?: AttachOptions) => Observable<RunEvent>;
  /** The same as a Promise of the batch's `RunResult`. */
  readonly attachResult: (batchId: string, options?: AttachOptions) => Promise<RunResult>;
  /** List records (models, boards, images, queue items, library entries) that did not decode and were left out of a resource's answer. */
  readonly resourceDiagnostics$: Observable<ResourceDiagnostic>;
}

/**
 * Creates a client for one InvokeAI server. Nothing connects until a stream is subscribed or a
 * request is made.
 *
 * @example
 * import { createClient } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const sub = client.events$.subscribe((event) => console.log(event.type));
 * // ...
 * sub.unsubscribe();
 * client.close();
 */
export const createClient = (options: ClientOptions): InvokeAIClient => {
  const context = createClientContext(options);
  // Model inputs set by name or key are resolved against the server's models before the run starts.
  const listModels = () => modelsResource(context, diagnosticsOf(context)).list();
  const run = (wf: Workflow, runOptions: RunOptions = {}): Observable<RunEvent> =>
    withModelsResolved(listModels, wf, runOptions, (w, o) => runPipeline(context, w, o));
  return {
    events$: context.socket.events$,
    connection$: context.socket.connection$,
    diagnostics$: context.socket.diagnostics$,
    close: () => closeClientRuns(context.socket, context.scheduler),
    context,
    run,
    submit: (wf, runOptions = {}) =>
      settleRun<RunResult>((onResult) => withModelsResolved(listModels, wf, runOptions, (w, o) => runPipeline(context, w, o, onResult))),
    runMany: (workflows, manyOptions) => runMany(run, workflows, manyOptions),
    attach: (batchId, attachOptions) => attachPipeline(context, batchId, attachOptions),
    attachResult: (batchId, attachOptions) => settleRun<RunResult>((onResult) => attachPipeline(context, batchId, attachOptions, onResult)),
    resourceDiagnostics$: defer(() => diagnosticsOf(context).diagnostics$),
  };
};
