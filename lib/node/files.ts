// Node file helpers: load a workflow file, upload an image file, save a run's images and videos to a
// folder, download one image or video to a file. Downloads stream to a temporary file in the target
// folder (never held whole in memory), then a hard link gives the final name, so a file is whole or
// absent, and an existing file is never overwritten (a taken name gets a suffix). Names are cut to
// what the file system takes, keeping their extension.
import { promises as fs } from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { Workflow } from '../workflow/workflow';
import { WorkflowDecodeError } from '../workflow/errors';
import type { LoadOptions } from '../workflow/types';
import type { ImageDTO, ImagesResource, UploadOptions } from '../client/images';
import { images, sniffImageType } from '../client/images';
import type { ResourceHost } from '../client/resource';
import { videos as videosOfClient } from '../client/videos';
import type { MediaStreamOptions } from '../client/media';
import { redactText } from '../transport/redact';
import type { CompletedEvent, RunResult } from '../run/events';

/** Why a file could not be used. */
export type FileErrorReason = 'missing' | 'unreadable' | 'too_large' | 'invalid_json' | 'invalid_workflow' | 'not_an_image';

/** The largest workflow file `loadWorkflowFile` reads (InvokeAI's own run to tens of kilobytes). */
export const MAX_WORKFLOW_FILE_BYTES = 16 * 1024 * 1024;

/** A local file that could not be loaded or uploaded (workflow or image); names the path, the reason and what to do. */
export class FileError extends Error {
  override readonly name = 'FileError';
  constructor(
    readonly path: string,
    readonly reason: FileErrorReason,
    readonly cause: unknown,
  ) {
    super(redactText(`${path}: ${describe(reason, cause)}`));
  }
}

const describe = (reason: FileErrorReason, cause: unknown): string => {
  const detail = cause instanceof Error ? cause.message : String(cause);
  switch (reason) {
    case 'missing':
      return 'no such file. Check the path (relative paths start at the current directory).';
    case 'unreadable':
      return `the file cannot be read (${detail}). Check its permissions, and that it is a file, not a folder.`;
    case 'too_large':
      return `the file is larger than ${MAX_WORKFLOW_FILE_BYTES} bytes; no workflow is. Check that it is the workflow you meant.`;
    case 'invalid_json':
      return `the file is not JSON (${detail}). Export the workflow again from the InvokeAI workflow editor.`;
    case 'invalid_workflow':
      return `the file is JSON but not an InvokeAI workflow:\n${detail}`;
    case 'not_an_image':
      return 'the content is not a PNG, JPEG, GIF, WebP, BMP or TIFF image.';
  }
};

const readFileOrFail = async (file: string): Promise<Buffer> => {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'missing' : 'unreadable', error);
  }
};

/**
 * Reads at most `limit` bytes of a file, chunk by chunk, so that neither a huge file nor an endless
 * one (a FIFO, `/dev/zero`) fills memory; more is a `FileError` (`too_large`).
 */
export const readBoundedFile = async (file: string, limit: number): Promise<Buffer> => {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(file, code === 'ENOENT' ? 'missing' : 'unreadable', error);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > limit) throw new FileError(file, 'too_large', undefined);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError(file, 'unreadable', error);
  } finally {
    await handle.close().catch(() => undefined);
  }
};

/**
 * Loads a workflow file (any schema version the GUI ever exported). A missing file, an unreadable
 * file, one over `MAX_WORKFLOW_FILE_BYTES`, text that is not JSON and JSON that is not a workflow
 * (nested too deep, for one) each throw a `FileError` naming the path.
 *
 * @example
 * import { loadWorkflowFile } from 'invokeai-rx/node';
 * const wf = await loadWorkflowFile('workflows/t2i.json');
 */
export const loadWorkflowFile = async (file: string, options?: LoadOptions): Promise<Workflow> => {
  const text = (await readBoundedFile(file, MAX_WORKFLOW_FILE_BYTES)).toString('utf8');
  let parsed: unknown;
  try {
    // A BOM is what some editors put in front of UTF-8 JSON.
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new FileError(file, 'invalid_json', error);
  }
  try {
    return Workflow.fromObject(parsed, options);
  } catch (error) {
    if (error instanceof WorkflowDecodeError) throw new FileError(file, 'invalid_workflow', error);
    throw error;
  }
};

/**
 * Uploads an image file. The content type comes from the file's bytes, never from its name (a PNG
 * named `.jpg` is sent as a PNG); bytes that are no PNG, JPEG, GIF, WebP, BMP or TIFF throw
 * `FileError` (`not_an_image`) before anything is sent, unless `options.contentType` says otherwise.
 *
 * @example
 * import { setInput } from 'invokeai-rx';
 * import { uploadImageFile } from 'invokeai-rx/node';
 * const image = await uploadImageFile(client, 'photos/cat.jpg', { board: 'my-board-id' });
 * const wf2 = setInput('Image', { image_name: image.image_name })(wf);
 */
export const uploadImageFile = async (
  client: ResourceHost | { readonly images: Pick<ImagesResource, 'upload'> },
  file: string,
  options: UploadOptions = {},
): Promise<ImageDTO> => {
  const bytes = new Uint8Array(await readFileOrFail(file));
  const contentType = options.contentType ?? sniffImageType(bytes);
  if (contentType === undefined) throw new FileError(file, 'not_an_image', undefined);
  const uploader = 'context' in client ? images(client) : client.images;
  return uploader.upload(bytes, { ...options, contentType, filename: options.filename ?? path.basename(file) });
};

/**
 * What a naming function is told about one file to save: an image, or (`kind: 'video'`) a video.
 * For a video, `imageName` and `videoName` both hold the server's video name (`.mp4`), so naming
 * functions written for images keep working; `extension` is the one the saved bytes need.
 */
export interface OutputImageInfo {
  /** `'image'` for an image, `'video'` for a video. Absent means image (values built before videos existed). */
  readonly kind?: 'image' | 'video';
  readonly itemId: number;
  readonly nodeId: string;
  /** The output node's label. */
  readonly label: string;
  /** The file's position among its node's images (or videos) in that item. */
  readonly index: number;
  /** The server's image name (a UUID, `.png`); for a video, the video name (`.mp4`). */
  readonly imageName: string;
  /** The server's video name (a UUID, `.mp4`), for a video only. */
  readonly videoName?: string;
  /**
   * The extension of the bytes to be saved, with its dot: the server name's for a full image or
   * video (`.png`, `.mp4`, `.jpg` ...), `.webp` for any thumbnail (the server serves them as WebP).
   */
  readonly extension: string;
}

/** Options of `saveOutputs`. */
export interface SaveOutputsOptions {
  /**
   * The file name of an image or video (a base name; folders are cut off). Default: the server's
   * name (`.png`, `.mp4`), with `.webp` in place of its extension for a thumbnail. `info.extension`
   * is the extension the bytes need; `info.kind` tells a video from an image.
   */
  readonly naming?: (info: OutputImageInfo) => string;
  /** Save thumbnails instead of full images and videos (WebP; a video's thumbnail is its first frame). */
  readonly thumbnail?: boolean;
}

/** A download or write that failed part-way; `saved` lists the files written before it, all whole. */
export class SaveOutputsError extends Error {
  override readonly name = 'SaveOutputsError';
  constructor(
    readonly saved: ReadonlyArray<string>,
    /** The server's name of the image (or video, see `failedKind`) that could not be saved. */
    readonly failedImage: string,
    readonly cause: unknown,
    readonly failedKind: 'image' | 'video' = 'image',
  ) {
    super(
      redactText(`Saving ${failedKind === 'video' ? 'video ' : ''}${failedImage} failed (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); ${saved.length} file(s) were saved before it, and no partial file was left.\nCall saveOutputs again once the cause is fixed (already saved files get new names, nothing is overwritten).`),
    );
  }
}

/** `saveOutputs` was given a result with videos and, instead of a client, an object without `videos`; nothing was written. */
export class VideosResourceMissingError extends Error {
  override readonly name = 'VideosResourceMissingError';
  constructor(readonly videoNames: ReadonlyArray<string>) {
    super(
      `The run result has ${videoNames.length} video(s) (${videoNames.slice(0, 3).join(', ')}${videoNames.length > 3 ? ', ...' : ''}) but what was given to saveOutputs has no \`videos\`; nothing was saved.\nPass the client from createClient, or an object with videos.download.`,
    );
  }
}

const safeBaseName = (name: string, fallback: string): string => {
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f<>:"|?*]/g, '_');
  return base === '' || base === '.' || base === '..' ? fallback : base;
};

/** The most bytes of a file name on the usual file systems (ext4, XFS, APFS, NTFS: 255). */
const NAME_MAX_BYTES = 255;
/** How far names are shortened when a file system takes less (eCryptfs takes 143) before giving up. */
const NAME_BYTES_STEPS: readonly number[] = [NAME_MAX_BYTES, 143, 100, 64, 32];
/** An "extension" longer than this is no extension but part of the name, and is cut with it. */
const MAX_EXTENSION_BYTES = 32;

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** `text` cut to at most `bytes` UTF-8 bytes, on a character boundary. */
const cutToBytes = (text: string, bytes: number): string => {
  if (utf8Length(text) <= bytes) return text;
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = utf8Length(char);
    if (used + size > bytes) break;
    out += char;
    used += size;
  }
  return out;
};

/**
 * The `n`th candidate for a name (`cat.png`, `cat-1.png`, ...), cut to at most `maxBytes` UTF-8
 * bytes: the part before the extension is shortened, the suffix and the extension are kept.
 */
export const fitFileName = (name: string, n: number, maxBytes: number = NAME_MAX_BYTES): string => {
  const suffix = n === 0 ? '' : `-${n}`;
  const rawExtension = path.extname(name);
  const extension = utf8Length(rawExtension) <= MAX_EXTENSION_BYTES ? rawExtension : '';
  const stem = name.slice(0, name.length - extension.length);
  const room = maxBytes - utf8Length(suffix) - utf8Length(extension);
  if (room < 1) return `${cutToBytes(name, Math.max(1, maxBytes - utf8Length(suffix)))}${suffix}`;
  return `${cutToBytes(stem, room)}${suffix}${extension}`;
};

/** The extension of a server file name, with its dot, or `fallback` when it has none. */
const extensionOf = (name: string, fallback: string): string => {
  const ext = path.extname(name);
  return ext === '' || ext === '.' ? fallback : ext;
};

/** `name` with its extension (if any) replaced by `extension`. */
const withExtension = (name: string, extension: string): string => `${name.slice(0, name.length - path.extname(name).length)}${extension}`;

/** Thumbnails are WebP whatever the full file is (InvokeAI's `/thumbnail` routes answer `image/webp`). */
const THUMBNAIL_EXTENSION = '.webp';

const exists = (file: string): Promise<boolean> => fs.access(file).then(() => true, () => false);

/** A temporary name of fixed, short length, so that it fits wherever the final name fits. */
const temporaryName = (): string => `.${randomBytes(8).toString('hex')}.part`;

/** Writes are gathered up to this size, so a download in small chunks is not one system call per chunk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Writes every byte of `chunks` at the end of the file. */
const writeAll = async (handle: fs.FileHandle, chunks: Uint8Array[]): Promise<void> => {
  let pending = chunks;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    let left = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const chunk of pending) {
      if (left >= chunk.byteLength) left -= chunk.byteLength;
      else {
        rest.push(chunk.subarray(left));
        left = 0;
      }
    }
    pending = rest;
  }
};

/** Gives the whole temporary file its final name in `dir`: the first candidate that is free and that the file system takes. */
const linkUnique = async (tmp: string, dir: string, name: string, taken: Set<string>): Promise<string> => {
  let step = 0;
  for (let n = 0; ; ) {
    const target = path.join(dir, fitFileName(name, n, NAME_BYTES_STEPS[step]));
    if (taken.has(target)) {
      n++;
      continue;
    }
    try {
      // link() fails when the target exists, where rename() would replace it.
      await fs.link(tmp, target);
      taken.add(target);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        n++;
        continue;
      }
      if (code === 'ENAMETOOLONG' && step < NAME_BYTES_STEPS.length - 1) {
        step++;
        continue;
      }
      // Filesystems without hard links (FAT, some network mounts): check, then rename.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
      if (await exists(target)) {
        n++;
        continue;
      }
      await fs.rename(tmp, target);
      taken.add(target);
      return target;
    }
  }
};

/**
 * Writes what `fill` hands to its `write` into `dir/name`, whole or not at all, never over an
 * existing file: through a temporary file, at most one write batch held in memory. Answers the path used.
 */
const writeNew = async (
  dir: string,
  name: string,
  fill: (write: (chunk: Uint8Array) => Promise<void>) => Promise<unknown>,
  taken: Set<string>,
): Promise<string> => {
  const tmp = path.join(dir, temporaryName());
  try {
    const handle = await fs.open(tmp, 'wx');
    try {
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      await fill(async (chunk) => {
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes < WRITE_BATCH_BYTES) return;
        const full = batch;
        batch = [];
        batchBytes = 0;
        await writeAll(handle, full);
      });
      await writeAll(handle, batch);
    } finally {
      await handle.close();
    }
    return await linkUnique(tmp, dir, name, taken);
  } finally {
    await fs.rm(tmp, { force: true });
  }
};

/** What saving needs of `images(client)` or `videos(client)`: `downloadChunks` streams to disk; an object with only `download` (bytes) is read whole. */
export type MediaDownloader = Pick<ImagesResource, 'downloadChunks'> | Pick<ImagesResource, 'download'>;

/** Hands one file's bytes to `write`: streamed when the resource can, else downloaded whole. */
const downloadInto = (media: MediaDownloader, name: string, options: MediaStreamOptions, write: (chunk: Uint8Array) => Promise<void>): Promise<unknown> =>
  'downloadChunks' in media ? media.downloadChunks(name, write, options) : media.download(name, { thumbnail: options.thumbnail }).then(write);

/**
 * Downloads one image or video (or, with `thumbnail`, its WebP thumbnail) to `file`, streaming it:
 * the file is never held whole in memory, and it is written through a temporary file beside it,
 * whole or not at all. An existing file is never overwritten: a taken name gets a suffix
 * (`cat-1.png`), and a name longer than the file system takes is shortened, keeping its extension.
 * The folder is created if needed. Answers the path written.
 *
 * @example
 * import { images, videos } from 'invokeai-rx';
 * import { downloadTo } from 'invokeai-rx/node';
 * const result = await client.submit(wf);
 * const image = result.items[0]?.outputs[0]?.images[0];
 * if (image) console.log(await downloadTo(images(client), image.imageName, './out/cat.png'));
 * const video = result.items[0]?.outputs[0]?.videos[0];
 * if (video) console.log(await downloadTo(videos(client), video.videoName, './out/clip.mp4', { timeoutMs: 600_000 }));
 */
export const downloadTo = async (media: MediaDownloader, name: string, file: string, options: MediaStreamOptions = {}): Promise<string> => {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  return writeNew(dir, path.basename(file), (write) => downloadInto(media, name, options, write), new Set());
};

/**
 * Downloads every image and video of a run's results (or of one item's `completed` event, as a
 * streamed run gives it) into `dir` (created if needed) and answers the paths, in item and output
 * order, each output's images before its videos. Each file is streamed to disk (never held whole in
 * memory) and written whole or not at all; no name is used twice, no existing file is overwritten,
 * and names too long for the file system are shortened, keeping their extension. A failure throws
 * `SaveOutputsError` listing what was saved. `client` is the client, or (in tests) an object with
 * `images` and `videos` downloaders: a result with videos and such an object without `videos` throws
 * `VideosResourceMissingError` before anything is written.
 *
 * @example
 * import { ofType } from 'invokeai-rx';
 * import { saveOutputs } from 'invokeai-rx/node';
 * const result = await client.submit(wf);
 * const paths = await saveOutputs(client, result, './out', { naming: (i) => `${i.label}-${i.itemId}-${i.index}${i.extension}` });
 * client.run(wf).pipe(ofType('completed')).subscribe((done) => void saveOutputs(client, done, './out'));
 */
export const saveOutputs = async (
  client: ResourceHost | { readonly images: MediaDownloader; readonly videos?: MediaDownloader },
  resultOrCompleted: Pick<RunResult, 'items'> | Pick<CompletedEvent, 'type' | 'itemId' | 'outputs'>,
  dir: string,
  options: SaveOutputsOptions = {},
): Promise<ReadonlyArray<string>> => {
  const result = 'type' in resultOrCompleted ? { items: [{ itemId: resultOrCompleted.itemId, outputs: resultOrCompleted.outputs }] } : resultOrCompleted;
  // Outputs built before videos existed may lack `videos`.
  const videosOf = (output: RunResult['items'][number]['outputs'][number]) => output.videos ?? [];
  const videoNames = result.items.flatMap((item) => item.outputs.flatMap((o) => videosOf(o).map((v) => v.videoName)));
  const downloads = 'context' in client ? { images: images(client), videos: videosOfClient(client) } : client;
  const videos = downloads.videos;
  if (videoNames.length > 0 && videos === undefined) throw new VideosResourceMissingError(videoNames);
  const thumbnail = options.thumbnail === true;
  await fs.mkdir(dir, { recursive: true });
  const saved: string[] = [];
  const taken = new Set<string>();
  /** Saves one file under the naming function's name, else the server's with the extension of the bytes. */
  const save = async (info: OutputImageInfo, media: MediaDownloader): Promise<void> => {
    try {
      const name = options.naming ? options.naming(info) : withExtension(info.imageName, info.extension);
      const target = safeBaseName(name, `${info.kind ?? 'image'}${info.extension}`);
      saved.push(await writeNew(dir, target, (write) => downloadInto(media, info.imageName, { thumbnail }, write), taken));
    } catch (error) {
      throw new SaveOutputsError(saved, info.imageName, error, info.kind ?? 'image');
    }
  };
  /** Saves one output's images (or videos), in order; a video's info carries its name as both `imageName` and `videoName`. */
  const saveEach = async (
    base: Pick<OutputImageInfo, 'itemId' | 'nodeId' | 'label'>,
    kind: 'image' | 'video',
    names: ReadonlyArray<string>,
    media: MediaDownloader,
  ): Promise<void> => {
    for (const [index, name] of names.entries()) {
      const extension = thumbnail ? THUMBNAIL_EXTENSION : extensionOf(name, kind === 'video' ? '.mp4' : '.png');
      const info: OutputImageInfo = { kind, ...base, index, imageName: name, ...(kind === 'video' ? { videoName: name } : {}), extension };
      await save(info, media);
    }
  };
  for (const item of result.items) {
    for (const output of item.outputs) {
      const base = { itemId: item.itemId, nodeId: output.nodeId, label: output.label };
      await saveEach(base, 'image', output.images.map((image) => image.imageName), downloads.images);
      // Without `videos` there are no videos here: that case threw above.
      if (videos !== undefined) await saveEach(base, 'video', videosOf(output).map((video) => video.videoName), videos);
    }
  }
  return saved;
};
