/** The simulated model manager: a seeded set of installed model configs. */

/** An installed model config (`AnyModelConfig` subset: the fields common to all classes plus extras). */
export interface MockModelConfig {
  readonly key: string;
  readonly hash: string;
  readonly path: string;
  readonly file_size: number;
  readonly name: string;
  readonly description: string | null;
  readonly source: string;
  readonly source_type: 'path' | 'url' | 'hf_repo_id' | 'external';
  readonly source_api_response: string | null;
  readonly source_url: string | null;
  readonly cover_image: string | null;
  readonly type: string;
  readonly format: string;
  readonly base: string;
  readonly [extra: string]: unknown;
}

/** What a test supplies to add a model; the rest is filled in. */
export interface ModelSpec {
  readonly key?: string;
  readonly name: string;
  readonly type: string;
  readonly base: string;
  readonly format?: string;
  readonly [extra: string]: unknown;
}

/** Builds a full model config from a short spec (deterministic key and hash from the name). */
export const modelConfig = (spec: ModelSpec): MockModelConfig => {
  const slug = spec.name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const key = spec.key ?? `sim-${spec.base}-${spec.type}-${slug}`;
  return {
    hash: `blake3:${Buffer.from(key).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    path: `/invokeai/models/${spec.base}/${spec.type}/${slug}`,
    file_size: 1_000_000,
    description: `${spec.name} (simulated)`,
    source: `/invokeai/models/${spec.base}/${spec.type}/${slug}`,
    source_type: 'path',
    source_api_response: null,
    source_url: null,
    cover_image: null,
    format: spec.format ?? (spec.type === 'main' ? 'diffusers' : 'checkpoint'),
    ...spec,
    key,
    name: spec.name,
    type: spec.type,
    base: spec.base,
  };
};

/** The default installed set: enough for InvokeAI's 26 default workflows. */
export const defaultModels = (): ReadonlyArray<MockModelConfig> =>
  [
    { name: 'stable-diffusion-v1-5', type: 'main', base: 'sd-1', variant: 'normal', prediction_type: 'epsilon', repo_variant: 'fp16', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'juggernautXL_v9', type: 'main', base: 'sdxl', variant: 'normal', prediction_type: 'epsilon', repo_variant: 'fp16', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'flux1-schnell', type: 'main', base: 'flux', format: 'checkpoint', variant: 'schnell', config_path: null, submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'flux1-dev', type: 'main', base: 'flux', format: 'checkpoint', variant: 'dev', config_path: null, submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'stable-diffusion-3.5-medium', type: 'main', base: 'sd-3', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'CogView4-6B', type: 'main', base: 'cogview4', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'Wan2.2-TI2V-5B', type: 'main', base: 'wan', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'Wan2.2-T2V-A14B-low-noise', type: 'main', base: 'wan', format: 'gguf_quantized', submodels: null, trigger_phrases: null, default_settings: null },
    { name: 'sd-vae-ft-mse', type: 'vae', base: 'sd-1' },
    { name: 'sdxl-vae-fp16-fix', type: 'vae', base: 'sdxl' },
    { name: 'FLUX.1-schnell_ae', type: 'vae', base: 'flux' },
    { name: 'sd3.5-vae', type: 'vae', base: 'sd-3' },
    { name: 'Wan2.2_VAE', type: 'vae', base: 'wan' },
    { name: 't5_bnb_int8_quantized_encoder', type: 't5_encoder', base: 'any', format: 't5_encoder' },
    { name: 'umt5-xxl-enc', type: 'wan_t5_encoder', base: 'any', format: 'wan_t5_encoder' },
    { name: 'clip-vit-large-patch14', type: 'clip_embed', base: 'any', format: 'diffusers', variant: 'large' },
    { name: 'clip-vit-bigG-14', type: 'clip_embed', base: 'any', format: 'diffusers', variant: 'gigantic' },
    { name: 'detail-tweaker-lora', type: 'lora', base: 'sd-1', format: 'lycoris', trigger_phrases: null, default_settings: null },
    { name: 'sdxl-offset-lora', type: 'lora', base: 'sdxl', format: 'lycoris', trigger_phrases: null, default_settings: null },
    { name: 'wan22-lightning-lora', type: 'lora', base: 'wan', format: 'lycoris', trigger_phrases: null, default_settings: null },
    { name: 'control_v11p_sd15_canny', type: 'controlnet', base: 'sd-1', format: 'diffusers', default_settings: null },
    { name: 'control_v11f1p_sd15_depth', type: 'controlnet', base: 'sd-1', format: 'diffusers', default_settings: null },
    { name: 'controlnet-canny-sdxl-1.0', type: 'controlnet', base: 'sdxl', format: 'diffusers', default_settings: null },
    { name: 'ip_adapter_sd15', type: 'ip_adapter', base: 'sd-1', format: 'invokeai', image_encoder_model_id: 'ViT-H' },
    { name: 'ip_adapter_sdxl', type: 'ip_adapter', base: 'sdxl', format: 'invokeai', image_encoder_model_id: 'ViT-G' },
    { name: 'RealESRGAN_x4plus', type: 'spandrel_image_to_image', base: 'any', format: 'checkpoint' },
    { name: '4x-UltraSharp', type: 'spandrel_image_to_image', base: 'any', format: 'checkpoint' },
  ].map((spec) => modelConfig(spec));

/** Filter for `GET /api/v2/models/`. */
export interface ModelQuery {
  readonly base_models?: ReadonlyArray<string>;
  readonly model_type?: string;
  readonly model_name?: string;
  readonly model_format?: string;
}

/** Applies the list filters of `GET /api/v2/models/` (ordered by name). */
export const filterModels = (models: ReadonlyArray<MockModelConfig>, q: ModelQuery): ReadonlyArray<MockModelConfig> =>
  models
    .filter((m) => !q.base_models || q.base_models.length === 0 || q.base_models.includes(m.base))
    .filter((m) => !q.model_type || m.type === q.model_type)
    .filter((m) => !q.model_name || m.name === q.model_name)
    .filter((m) => !q.model_format || m.format === q.model_format)
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name));

/** Reduces a config to the `ModelIdentifierField` a workflow input takes. */
export const modelIdentifier = (m: MockModelConfig): { key: string; hash: string; name: string; base: string; type: string } => ({
  key: m.key,
  hash: m.hash,
  name: m.name,
  base: m.base,
  type: m.type,
});
