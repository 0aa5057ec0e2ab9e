// `models(client)`: the installed models. Base, type and format stay open strings:
// a newer server's new values never fail a decode, and one odd record never hides the others.
import * as t from 'io-ts';
import { nullable } from '../protocol/dto';
import type { ClientContext } from '../transport/context';
import { apiPath } from '../transport/http';
import { DiagnosticSink, OpenString, UnknownArray, decodeItems, nullOn404, resourceAccessor } from './resource';
import { ModelSync, SyncModelsOptions, syncModels } from '../workflow/sync-models';
import type { Workflow } from '../workflow/workflow';

/** Model bases of InvokeAI 6.14; any other string a server sends is kept as it is. */
export type ModelBase = OpenString<
  | 'any' | 'sd-1' | 'sd-2' | 'sd-3' | 'sdxl' | 'sdxl-refiner' | 'flux' | 'flux2' | 'cogview4' | 'z-image' | 'ernie-image'
  | 'ideogram-4' | 'external' | 'qwen-image' | 'anima' | 'krea-2' | 'wan' | 'unknown'
>;

/** Model types of InvokeAI 6.14; any other string a server sends is kept as it is. */
export type ModelType = OpenString<
  | 'onnx' | 'main' | 'vae' | 'lora' | 'control_lora' | 'controlnet' | 'embedding' | 'ip_adapter' | 'clip_vision' | 'clip_embed'
  | 't2i_adapter' | 't5_encoder' | 'qwen3_encoder' | 'qwen_vl_encoder' | 'qwen3_vl_encoder' | 'mistral_encoder' | 'wan_t5_encoder'
  | 'gemma2_encoder' | 'spandrel_image_to_image' | 'siglip' | 'flux_redux' | 'llava_onevision' | 'prompt_enhancer' | 'text_llm'
  | 'external_image_generator' | 'pid_decoder' | 'unknown'
>;

/** Model formats of InvokeAI 6.14; any other string a server sends is kept as it is. */
export type ModelFormat = OpenString<
  | 'omi' | 'diffusers' | 'checkpoint' | 'lycoris' | 'onnx' | 'olive' | 'embedding_file' | 'embedding_folder' | 'invokeai'
  | 't5_encoder' | 'qwen3_encoder' | 'qwen_vl_encoder' | 'qwen3_vl_encoder' | 'mistral_encoder' | 'wan_t5_encoder' | 'gemma2_encoder'
  | 'bnb_quantized_int8b' | 'bnb_quantized_nf4b' | 'gguf_quantized' | 'external_api' | 'sdnq_quantized' | 'unknown'
>;

/**
 * An installed model's config (one of the server's `AnyModelConfig` classes). The fields every class
 * has are checked; class-specific ones (`variant`, `default_settings`, ...) are kept unchecked.
 */
export const ModelConfig = /*#__PURE__*/ t.intersection(
  [
    t.type({ key: t.string, name: t.string, base: t.string, type: t.string }),
    t.partial({
      hash: t.string,
      format: t.string,
      path: t.string,
      file_size: t.number,
      description: nullable(t.string),
      source: t.string,
      source_type: t.string,
      source_url: nullable(t.string),
      cover_image: nullable(t.string),
    }),
    t.UnknownRecord,
  ],
  'ModelConfig',
);
/** An installed model's config. */
export type ModelConfig = t.TypeOf<typeof ModelConfig> & {
  readonly base: ModelBase;
  readonly type: ModelType;
  readonly format?: ModelFormat;
};

/** What a model input of a workflow holds (`ModelIdentifierField`). */
export interface ModelIdentifier {
  readonly key: string;
  readonly hash: string;
  readonly name: string;
  readonly base: ModelBase;
  readonly type: ModelType;
  readonly submodel_type?: string;
}

/** Reduces a model config to the identifier a workflow's model input takes. */
export const toModelIdentifier = (model: Pick<ModelConfig, 'key' | 'name' | 'base' | 'type'> & { readonly hash?: string }): ModelIdentifier => ({
  key: model.key,
  hash: model.hash ?? '',
  name: model.name,
  base: model.base,
  type: model.type,
});

/** The server's filters of `GET /api/v2/models/` (all exact matches). */
export interface ModelListOptions {
  /** One base or several (any of them). */
  readonly base?: ModelBase | ReadonlyArray<ModelBase>;
  readonly type?: ModelType;
  /** The exact name. */
  readonly name?: string;
  readonly format?: ModelFormat;
  /** Default `name`. */
  readonly orderBy?: 'default' | 'type' | 'base' | 'name' | 'format' | 'size' | 'created_at' | 'updated_at' | 'path';
  /** Default `ASC`. */
  readonly direction?: 'ASC' | 'DESC';
}

/**
 * `models(client)`. `get` and `find` answer `null` when nothing matches.
 *
 * @example
 * import { createClient, models } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const fluxMains = await models(client).list({ base: 'flux', type: 'main' });
 */
export interface ModelsResource {
  /** The installed models matching the filters; records that do not decode are left out and reported on `diagnostics$`. */
  readonly list: (options?: ModelListOptions) => Promise<ReadonlyArray<ModelConfig>>;
  /** The model with this key, or `null`. */
  readonly get: (key: string) => Promise<ModelConfig | null>;
  /** The first model with exactly this name, type and base (the server's `get_by_attrs`), or `null`. */
  readonly find: (attributes: { readonly name: string; readonly type: ModelType; readonly base: ModelBase }) => Promise<ModelConfig | null>;
  /**
   * Points the workflow's model fields at the models this server has (one `list()`, then the pure
   * `syncModels`). Never changes `wf`; never throws for one unmatched model (it is in `unresolved`).
   */
  readonly sync: (wf: Workflow, options?: SyncModelsOptions) => Promise<ModelSync>;
}

const ModelList = /*#__PURE__*/ t.type({ models: UnknownArray }, 'ModelList');

/** Builds a client's model list and lookups (for `models`, and for runs that resolve model names). @internal */
export const modelsResource = (context: ClientContext, sink: DiagnosticSink): Omit<ModelsResource, 'sync'> => {
  const { http } = context;
  // Every record is checked as a ModelConfig; the open-string refinements are what the type adds.
  const decodeConfig = ModelConfig as t.Decoder<unknown, ModelConfig>;
  return {
    list: async (options = {}) => {
      const path = '/api/v2/models/';
      const body = await http.request({
        method: 'GET',
        path,
        query: {
          // One base or a list: the query repeats the key for each, so both read as the server's list.
          base_models: options.base,
          model_type: options.type,
          model_name: options.name,
          model_format: options.format,
          order_by: options.orderBy,
          direction: options.direction,
        },
        decode: ModelList,
      });
      return decodeItems(decodeConfig, body.models, `GET ${path}`, sink.report);
    },
    get: (key) => http.request({ method: 'GET', path: apiPath`/api/v2/models/i/${key}`, decode: decodeConfig }).catch(nullOn404),
    find: (attributes) =>
      http
        .request({
          method: 'GET',
          path: '/api/v2/models/get_by_attrs',
          query: { name: attributes.name, type: attributes.type, base: attributes.base },
          decode: decodeConfig,
        })
        .catch(nullOn404),
  };
};

/**
 * The models installed on a client's server: `await models(client).list({ base: 'sdxl' })`.
 *
 * @example
 * ```ts
 * import { createClient, models } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const sdxl = await models(client).list({ base: 'sdxl', type: 'main' });
 * const { workflow, unresolved } = await models(client).sync(wf, { byBase: true });
 * ```
 */
export const models = /*#__PURE__*/ resourceAccessor('models', (context, sink): ModelsResource => {
  const lookups = modelsResource(context, sink);
  return { ...lookups, sync: async (wf, options) => syncModels(wf, await lookups.list(), options) };
});
