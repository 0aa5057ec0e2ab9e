// The value types a generated workflow module gives its inputs and outputs. Each input type is
// what `setInput` accepts for that field kind (a bare image name is normalised to `{image_name}`,
// as the GUI does), so that whatever compiles reaches the same run-time checks.
import type { ModelBase, ModelIdentifier, ModelType } from '../client/models';
import type { ImageRef, RunOutput, VideoRef } from '../run/events';

/** An image input: the image's name on the server, or `{ image_name }`. */
export type ImageInput = string | { readonly image_name: string };

/** A video input: the video's name on the server, or `{ video_name }`. */
export type VideoInput = string | { readonly video_name: string };

/** A board input: `'auto'` (the auto-add board), `'none'` (uncategorized), a board id, or `{ board_id }`. */
export type BoardInput = 'auto' | 'none' | (string & {}) | { readonly board_id: string };

/** A color input: each channel an integer 0-255. */
export interface ColorInput {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly a: number;
}

/** An input holding a structured value the node templates do not describe further (a LoRA entry, ...). */
export type ObjectInput = Readonly<Record<string, unknown>>;

/** The bases and types a model input accepts, as the node schema says (`ui_model_base`, `ui_model_type`). */
export interface ModelConstraint {
  readonly base?: string;
  readonly type?: string;
}

/**
 * A model identifier that a model input accepts: `ModelInput<{ base: 'sdxl'; type: 'main' }>` is an
 * SDXL main model. A bound the schema leaves open is any base or type.
 */
export type ModelInput<C extends ModelConstraint = {}> = Omit<ModelIdentifier, 'base' | 'type'> & {
  readonly base: C extends { readonly base: infer B } ? B : ModelBase;
  readonly type: C extends { readonly type: infer T } ? T : ModelType;
};

/**
 * A model input may also be given a model's name or key: the run (or `syncModels`) looks it up in
 * the server's models, and checks its base and type then rather than at compile time.
 */
export type ModelName = string;

/** What every output node gives in one item: which node, and the board its media were saved to. */
export type OutputBase = Pick<RunOutput, 'nodeId' | 'nodeType' | 'label' | 'boardId'>;

/** An output node that makes images: its images of one item, in iteration order. */
export type ImagesOutput = OutputBase & { readonly images: readonly ImageRef[] };

/** An output node that makes videos: its videos of one item, in iteration order. */
export type VideosOutput = OutputBase & { readonly videos: readonly VideoRef[] };

/** An output node whose result is plain values (`integer_output`, a string collection, ...). */
export type ValuesOutput<T extends string | number | boolean = string | number | boolean> = OutputBase & { readonly values: readonly T[] };
