import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipe } from 'fp-ts/function';
import { loadWorkflowFile, saveOutputs, uploadImageFile, SaveOutputsError, FileError } from '../../lib/node';
import { OutputImageInfo, VideosResourceMissingError } from '../../lib/node/files';
import { images } from '../../lib/client/images';
import { setInput } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import type { RunResult } from '../../lib/run/events';
import { SimClient, png, requestsTo, startSim } from '../client/sim-helpers';
import { models } from '../../lib/client/models';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-node-'));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const fixture = 'spec/fixtures/default-workflows/Text to Image - SD1.5.json';

describe('loadWorkflowFile', () => {
  it('loads a GUI export into a Workflow value', async () => {
    const wf = await loadWorkflowFile(fixture);
    expect(wf.json).toEqual(Workflow.fromJson(readFileSync(fixture, 'utf8')).json);
  });

  it('a missing file, an unreadable file, bad JSON and a non-workflow each name the path and the reason', async () => {
    const cases: Array<[string, string]> = [];
    cases.push([path.join(dir, 'missing.json'), 'missing']);
    cases.push([dir, 'unreadable']); // a folder cannot be read as a file
    await fs.writeFile(path.join(dir, 'bad.json'), '{"nodes": [');
    cases.push([path.join(dir, 'bad.json'), 'invalid_json']);
    await fs.writeFile(path.join(dir, 'other.json'), '{"hello": "world"}');
    cases.push([path.join(dir, 'other.json'), 'invalid_workflow']);
    for (const [file, reason] of cases) {
      const error = await loadWorkflowFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileError);
      expect(error).toMatchObject({ name: 'FileError', path: file, reason });
      expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
    }
  });

  it('reads a file with a UTF-8 byte order mark', async () => {
    const file = path.join(dir, 'bom.json');
    await fs.writeFile(file, `\uFEFF${readFileSync(fixture, 'utf8')}`);
    await expect(loadWorkflowFile(file)).resolves.toMatchObject({ _tag: 'Workflow' });
  });
});

describe('uploadImageFile and saveOutputs against the simulator', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('uploads a file with the MIME type of its content, not its extension', async () => {
    const file = path.join(dir, 'really-a-png.jpg');
    await fs.writeFile(file, png(12, 10));
    const dto = await uploadImageFile(sim.client, file, { category: 'general' });
    expect(dto).toMatchObject({ width: 12, height: 10, image_category: 'general' });
    expect(Buffer.from(sim.server.imageBytes(dto.image_name)!).equals(Buffer.from(png(12, 10)))).toBe(true);
  });

  it('refuses a file that is not an image before sending anything, and names a missing file', async () => {
    const file = path.join(dir, 'notes.png');
    await fs.writeFile(file, 'just text');
    await expect(uploadImageFile(sim.client, file)).rejects.toMatchObject({ name: 'FileError', reason: 'not_an_image', path: file });
    await expect(uploadImageFile(sim.client, path.join(dir, 'gone.png'))).rejects.toMatchObject({ reason: 'missing' });
    expect(requestsTo(sim.server, 'POST', '/api/v1/images/upload')).toHaveLength(0);
  });

  const runTwice = async (): Promise<RunResult> => {
    const { workflow } = await models(sim.client).sync(await loadWorkflowFile(fixture), { byBase: true });
    return sim.client.submit(pipe(workflow, setInput('Positive Prompt', 'a quiet harbour')), { runs: 2 });
  };

  it('saves every image of a run, whole, under names that do not collide, and answers the paths', async () => {
    const result = await runTwice();
    const names = result.items.flatMap((i) => i.outputs.flatMap((o) => o.images.map((img) => img.imageName)));
    expect(names).toHaveLength(2);
    const out = path.join(dir, 'out');
    const paths = await saveOutputs(sim.client, result, out, { naming: (i) => `${i.label}.png` });
    expect(paths).toHaveLength(2);
    expect(new Set(paths).size).toBe(2);
    for (const [i, p] of paths.entries()) {
      expect((await fs.readFile(p)).equals(sim.server.imageBytes(names[i])!)).toBe(true);
    }
    // a second save never overwrites the first
    const again = await saveOutputs(sim.client, result, out, { naming: (i) => `${i.label}.png` });
    expect(again.filter((p) => paths.includes(p))).toEqual([]);
    expect((await fs.readdir(out)).sort()).toEqual([...paths, ...again].map((p) => path.basename(p)).sort());
    // default names are the server's image names; a naming function cannot escape the folder
    const byName = await saveOutputs(sim.client, result, path.join(dir, 'plain'));
    expect(byName.map((p) => path.basename(p))).toEqual(names);
    const escaped = await saveOutputs(sim.client, { items: [result.items[0]] }, path.join(dir, 'safe'), { naming: () => '../../evil.png' });
    expect(path.dirname(escaped[0])).toBe(path.join(dir, 'safe'));
  });

  it('a download failing halfway leaves the saved files whole and no partial file', async () => {
    const result = await runTwice();
    const out = path.join(dir, 'out');
    const second = result.items[1].outputs[0].images[0].imageName;
    sim.server.faults.failRequests({ path: `/api/v1/images/i/${second}/full`, status: 500, count: 10 });
    const error = await saveOutputs(sim.client, result, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaveOutputsError);
    expect(error).toMatchObject({ name: 'SaveOutputsError', failedImage: second });
    const saved = (error as SaveOutputsError).saved;
    expect(saved).toHaveLength(1);
    expect(await fs.readdir(out)).toEqual([path.basename(saved[0])]);
    expect((await fs.readFile(saved[0])).equals(sim.server.imageBytes(result.items[0].outputs[0].images[0].imageName)!)).toBe(true);
  });

  it('saves image thumbnails as .webp with the server\'s WebP bytes, and tells naming the extension of what it saves', async () => {
    const result = await runTwice();
    const names = result.items.flatMap((i) => i.outputs.flatMap((o) => o.images.map((img) => img.imageName)));
    const thumbs = await saveOutputs(sim.client, result, path.join(dir, 'thumbs'), { thumbnail: true });
    expect(thumbs.map((p) => path.basename(p))).toEqual(names.map((n) => n.replace(/\.png$/, '.webp')));
    for (const [i, p] of thumbs.entries()) {
      const bytes = await fs.readFile(p);
      expect([bytes.toString('latin1', 0, 4), bytes.toString('latin1', 8, 12)]).toEqual(['RIFF', 'WEBP']);
      const served = Buffer.from(await (await fetch(`${sim.server.url}/api/v1/images/i/${names[i]}/thumbnail`)).arrayBuffer());
      expect(bytes.equals(served)).toBe(true);
    }

    const seen: OutputImageInfo[] = [];
    const naming = (info: OutputImageInfo) => {
      seen.push(info);
      return `${info.label}-${info.itemId}${info.extension}`;
    };
    const full = await saveOutputs(sim.client, result, path.join(dir, 'full'), { naming });
    const small = await saveOutputs(sim.client, result, path.join(dir, 'small'), { naming, thumbnail: true });
    expect(seen.map((i) => [i.kind, i.extension])).toEqual([
      ['image', '.png'],
      ['image', '.png'],
      ['image', '.webp'],
      ['image', '.webp'],
    ]);
    expect(full.every((p) => p.endsWith('.png')) && small.every((p) => p.endsWith('.webp'))).toBe(true);
    expect((await fs.readFile(full[0])).equals(sim.server.imageBytes(names[0])!)).toBe(true);
  });

  it('the extension of a full file is the server name\'s (.jpg, .webm), and thumbnails are .webp whatever the full file is', async () => {
    const result = await runTwice();
    const item = result.items[0];
    const output = item.outputs[0];
    const odd = {
      items: [{ ...item, outputs: [{ ...output, images: [{ ...output.images[0], imageName: 'photo.jpg' }], videos: [{ videoName: 'clip.webm' }] }] }],
    } as unknown as Pick<RunResult, 'items'>;
    const bytes = new Uint8Array([1, 2, 3]);
    const client = { images: { download: async () => bytes }, videos: { download: async () => bytes } };
    const seen: OutputImageInfo[] = [];
    const naming = (info: OutputImageInfo) => {
      seen.push(info);
      return `n${seen.length}${info.extension}`;
    };
    const full = await saveOutputs(client, odd, path.join(dir, 'full'), { naming });
    expect(full.map((p) => path.basename(p))).toEqual(['n1.jpg', 'n2.webm']);
    expect(seen.map((i) => [i.kind, i.extension])).toEqual([
      ['image', '.jpg'],
      ['video', '.webm'],
    ]);
    const plain = await saveOutputs(client, odd, path.join(dir, 'plain'), { thumbnail: true });
    expect(plain.map((p) => path.basename(p))).toEqual(['photo.webp', 'clip.webp']);
  });

  it('a name already taken (even by a folder) gets a suffix, and no temporary file is left', async () => {
    const result = await runTwice();
    const out = path.join(dir, 'out');
    const first = result.items[0].outputs[0].images[0].imageName;
    await fs.mkdir(path.join(out, first), { recursive: true });
    const paths = await saveOutputs(sim.client, result, out);
    expect(path.basename(paths[0])).toBe(first.replace('.png', '-1.png'));
    expect((await fs.stat(path.join(out, first))).isDirectory()).toBe(true);
    expect((await fs.readdir(out)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

/** The Wan 2.2 text-to-video default workflow with the simulator's Wan models filled in. */
const wanTextToVideo = (sim: SimClient): Workflow => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw fixture JSON, edited before it is decoded
  const json: any = JSON.parse(readFileSync('spec/fixtures/default-workflows/Text to Video - Wan 2.2 Lightning.json', 'utf8'));
  const model = (type: string, base: string) => {
    const m = sim.server.models().find((x) => x.type === type && x.base === base && x.format !== 'gguf_quantized')!;
    return { key: m.key, hash: m.hash, name: m.name, base: m.base, type: m.type };
  };
  for (const n of json.nodes) {
    if (n.data.type === 'wan_model_loader') {
      n.data.inputs.model.value = model('main', 'wan');
      n.data.inputs.transformer_low_noise_model.value = model('main', 'wan');
      n.data.inputs.vae_model.value = model('vae', 'wan');
      n.data.inputs.wan_t5_encoder_model.value = model('wan_t5_encoder', 'any');
    }
    if (n.data.type === 'wan_lora_loader') n.data.inputs.lora.value = model('lora', 'wan');
  }
  return Workflow.fromJson(JSON.stringify(json));
};

describe('saveOutputs with videos', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('saves the .mp4 of a video run with the server\'s bytes, and tells the naming function it is a video', async () => {
    const result = await sim.client.submit(wanTextToVideo(sim), { runs: 2 });
    const names = result.items.flatMap((i) => i.outputs.flatMap((o) => o.videos.map((v) => v.videoName)));
    expect(names).toHaveLength(2);
    expect(names.every((n) => n.endsWith('.mp4'))).toBe(true);
    const plain = await saveOutputs(sim.client, result, path.join(dir, 'plain'));
    expect(plain.map((p) => path.basename(p))).toEqual(names);
    for (const [i, p] of plain.entries()) expect((await fs.readFile(p)).equals(sim.server.videoBytes(names[i])!)).toBe(true);

    const seen: OutputImageInfo[] = [];
    const named = await saveOutputs(sim.client, result, path.join(dir, 'named'), {
      naming: (info) => {
        seen.push(info);
        return info.kind === 'video' ? `${info.label}.mp4` : `${info.label}.png`;
      },
    });
    const label = result.items[0].outputs[0].label;
    expect(label).not.toBe('');
    expect(named.map((p) => path.basename(p))).toEqual([`${label}.mp4`, `${label}-1.mp4`]);
    expect(seen).toEqual(
      result.items.map((item, i) =>
        expect.objectContaining({ kind: 'video', itemId: item.itemId, index: 0, videoName: names[i], imageName: names[i], nodeId: item.outputs[0].nodeId, extension: '.mp4' }),
      ),
    );
  });

  it('saves video thumbnails as .webp with the server\'s thumbnail bytes', async () => {
    const result = await sim.client.submit(wanTextToVideo(sim));
    const [video] = result.items[0].outputs[0].videos;
    const [file] = await saveOutputs(sim.client, result, dir, { thumbnail: true });
    expect(path.basename(file)).toBe(video.videoName.replace('.mp4', '.webp'));
    const served = Buffer.from(await (await fetch(`${sim.server.url}/api/v1/videos/i/${video.videoName}/thumbnail`)).arrayBuffer());
    expect((await fs.readFile(file)).equals(served)).toBe(true);
    const seen: OutputImageInfo[] = [];
    const [named] = await saveOutputs(sim.client, result, path.join(dir, 'named'), {
      thumbnail: true,
      naming: (info) => {
        seen.push(info);
        return `first-frame${info.extension}`;
      },
    });
    expect(path.basename(named)).toBe('first-frame.webp');
    expect(seen).toEqual([expect.objectContaining({ kind: 'video', videoName: video.videoName, extension: '.webp' })]);
  });

  it('images and videos share one folder without a name used twice', async () => {
    const { workflow } = await models(sim.client).sync(await loadWorkflowFile(fixture), { byBase: true });
    const images = await sim.client.submit(workflow);
    const videos = await sim.client.submit(wanTextToVideo(sim));
    const paths = await saveOutputs(sim.client, { items: [...images.items, ...videos.items] }, dir, { naming: () => 'render' });
    expect(paths.map((p) => path.basename(p))).toEqual(['render', 'render-1']);
    expect((await fs.readFile(paths[0])).equals(sim.server.imageBytes(images.items[0].outputs[0].images[0].imageName)!)).toBe(true);
    expect((await fs.readFile(paths[1])).equals(sim.server.videoBytes(videos.items[0].outputs[0].videos[0].videoName)!)).toBe(true);
  });

  it('a client without videos is refused before anything is written', async () => {
    const result = await sim.client.submit(wanTextToVideo(sim));
    const out = path.join(dir, 'out');
    const error = await saveOutputs({ images: images(sim.client) }, result, out).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VideosResourceMissingError);
    expect(error).toMatchObject({ name: 'VideosResourceMissingError', videoNames: [result.items[0].outputs[0].videos[0].videoName] });
    await expect(fs.access(out)).rejects.toMatchObject({ code: 'ENOENT' });
    // a result without videos still needs only images
    await expect(saveOutputs({ images: images(sim.client) }, { items: [] }, out)).resolves.toEqual([]);
  });

  it('a video download failing leaves no partial file and names the video', async () => {
    const result = await sim.client.submit(wanTextToVideo(sim), { runs: 2 });
    const second = result.items[1].outputs[0].videos[0].videoName;
    sim.server.faults.failRequests({ path: `/api/v1/videos/i/${second}/full`, status: 500, count: 10 });
    const error = await saveOutputs(sim.client, result, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SaveOutputsError);
    expect(error).toMatchObject({ failedImage: second, failedKind: 'video' });
    expect((error as Error).message).toContain(`Saving video ${second} failed`);
    expect((error as SaveOutputsError).saved).toHaveLength(1);
    expect(await fs.readdir(dir)).toEqual([result.items[0].outputs[0].videos[0].videoName]);
  });
});
