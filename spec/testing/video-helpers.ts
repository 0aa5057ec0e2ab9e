/** The Wan 2.2 text-to-video default workflow, filled in for the simulator (shared by the video specs). */
import * as fs from 'fs';
import * as path from 'path';
import type { MockServer } from '../../lib/testing';
import type { Json } from './helpers';

const T2V = path.join(__dirname, '..', 'fixtures', 'default-workflows', 'Text to Video - Wan 2.2 Lightning.json');

/** Settings of the workflow's video nodes; each left as the fixture has it when omitted. */
export interface WanTextToVideoOptions {
  readonly boardId?: string;
  readonly width?: number;
  readonly height?: number;
  readonly numFrames?: number;
  readonly fps?: number;
  readonly intermediate?: boolean;
}

/** The Wan text-to-video workflow JSON with the simulator's Wan models and the given settings of its video nodes. */
export const wanTextToVideoJson = (server: MockServer, o: WanTextToVideoOptions = {}): Json => {
  const json = JSON.parse(fs.readFileSync(T2V, 'utf8'));
  const model = (type: string, base: string) => {
    const m = server.models().find((x) => x.type === type && x.base === base && x.format !== 'gguf_quantized');
    if (!m) throw new Error(`no ${base} ${type}`);
    return { key: m.key, hash: m.hash, name: m.name, base: m.base, type: m.type };
  };
  for (const n of json.nodes) {
    const inputs = n.data.inputs;
    if (n.data.type === 'wan_model_loader') {
      inputs.model.value = model('main', 'wan');
      inputs.transformer_low_noise_model.value = model('main', 'wan');
      inputs.vae_model.value = model('vae', 'wan');
      inputs.wan_t5_encoder_model.value = model('wan_t5_encoder', 'any');
    }
    if (n.data.type === 'wan_lora_loader') inputs.lora.value = model('lora', 'wan');
    if (n.data.type === 'wan_video_denoise') {
      if (o.width !== undefined) inputs.width.value = o.width;
      if (o.height !== undefined) inputs.height.value = o.height;
      if (o.numFrames !== undefined) inputs.num_frames.value = o.numFrames;
    }
    if (n.data.type === 'wan_l2v') {
      if (o.fps !== undefined) inputs.fps.value = o.fps;
      if (o.boardId !== undefined) inputs.board = { name: 'board', label: '', value: { board_id: o.boardId } };
      if (o.intermediate !== undefined) n.data.isIntermediate = o.intermediate;
    }
  }
  return json;
};
