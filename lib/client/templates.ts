// The node templates of a client's server, read from its OpenAPI document as InvokeAI's GUI reads
// them: custom node packs included, where the offline templates (invokeai-rx/templates) have only
// InvokeAI's own.
import * as t from 'io-ts';
import { templatesFromOpenApi } from '../workflow/templates';
import type { NodeTemplates } from '../workflow/types';
import type { ResourceHost } from './resource';

/**
 * The node templates of the client's server (its `/openapi.json`, custom node packs included), read
 * anew on each call. Throws `TemplatesError` when the document has no invocation schemas.
 *
 * @example
 * ```ts
 * import { Workflow, createClient, serverTemplates } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const wf = Workflow.fromJson(text, { templates: await serverTemplates(client) });
 * ```
 */
export const serverTemplates = async (client: ResourceHost): Promise<NodeTemplates> =>
  templatesFromOpenApi(await client.context.http.request({ method: 'GET', path: '/openapi.json', decode: t.unknown }));
