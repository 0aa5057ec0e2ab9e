// The client's server resources, built once per client over its `ClientContext`, plus the two calls
// that combine them with pure workflow functions: `templates()` and `syncModels()`.
import { Observable } from 'rxjs';
import { templatesFromOpenApi } from '../workflow/templates';
import type { NodeTemplates } from '../workflow/types';
import type { Workflow } from '../workflow/workflow';
import { ModelSync, SyncModelsOptions, syncModels } from '../workflow/sync-models';
import type { ClientContext } from '../transport/context';
import { AppResource, appResource } from './app';
import { BoardsResource, boardsResource } from './boards';
import { ImagesResource, imagesResource } from './images';
import { ModelsResource, modelsResource } from './models';
import { QueueResource, queueResource } from './queue';
import { ResourceDiagnostic, diagnosticSink } from './resource';
import { VideosResource, videosResource } from './videos';
import { WorkflowsResource, workflowsResource } from './workflows';
import * as t from 'io-ts';

/** The server resources of a client (`client.queue`, `client.images`, `client.videos`, ...). */
export interface ClientResources {
  readonly app: AppResource;
  readonly images: ImagesResource;
  readonly videos: VideosResource;
  readonly boards: BoardsResource;
  readonly models: ModelsResource;
  readonly queue: QueueResource;
  readonly workflows: WorkflowsResource;
  /** The node templates of the server's `/openapi.json` (custom node packs included); read anew on each call. */
  readonly templates: () => Promise<NodeTemplates>;
  /**
   * Points the workflow's model fields at the server's installed models (see `syncModels`). Never
   * changes `wf`; never throws for one unmatched model (it is in `unresolved`).
   */
  readonly syncModels: (wf: Workflow, options?: SyncModelsOptions) => Promise<ModelSync>;
  /** List records (models, boards, images, queue items, library entries) that did not decode and were left out of an answer. */
  readonly resourceDiagnostics$: Observable<ResourceDiagnostic>;
}

/** Builds the server resources of one client. */
export const createResources = (context: ClientContext): ClientResources => {
  const sink = diagnosticSink(context.options.logger);
  const models = modelsResource(context, sink);
  return {
    app: appResource(context),
    images: imagesResource(context, sink),
    videos: videosResource(context, sink),
    boards: boardsResource(context, sink),
    models,
    queue: queueResource(context, sink),
    workflows: workflowsResource(context, sink),
    templates: async () =>
      templatesFromOpenApi(await context.http.request({ method: 'GET', path: '/openapi.json', decode: t.unknown })),
    syncModels: async (wf, options) => syncModels(wf, await models.list(), options),
    resourceDiagnostics$: sink.diagnostics$,
  };
};
