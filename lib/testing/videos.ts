/** Video records and bytes of the simulated server (`/api/v1/videos/*`). */
import { sqliteNow } from './clock';
import { MediaRecordDTO, MediaStore, NewMediaRecord, StoredMedia, newRecordFields, storedFields } from './media';
import { MockImageDTO } from './images';
import { hash32 } from './png';

/** InvokeAI's `VideoDTO`, as the simulator serves it at `GET /api/v1/videos/i/{name}`. */
export interface MockVideoDTO extends MediaRecordDTO {
  readonly video_name: string;
  readonly video_url: string;
  readonly thumbnail_url: string;
  readonly video_origin: 'internal' | 'external';
  readonly video_category: MockImageDTO['image_category'];
  readonly width: number;
  readonly height: number;
  readonly duration: number;
  readonly fps: number | null;
  readonly video_subfolder: string;
}

/** A stored video: its DTO, its bytes, the frame count it was made with and what was saved with it. */
export interface StoredVideo extends StoredMedia<MockVideoDTO> {
  readonly num_frames: number;
}

/** What is needed to record a new video. */
export interface NewVideo extends NewMediaRecord {
  readonly video_name: string;
  readonly width: number;
  readonly height: number;
  readonly duration: number;
  readonly fps: number | null;
  readonly num_frames?: number;
  readonly video_origin: 'internal' | 'external';
  readonly video_category: MockVideoDTO['video_category'];
}

/** The fields of `VideoRecordChanges` (and board moves) the store applies. */
export type VideoChange = Partial<Pick<MockVideoDTO, 'video_category' | 'session_id' | 'is_intermediate' | 'starred' | 'board_id'>>;

/** Mutable video store (the simulator's `videos` table). */
export class VideoStore extends MediaStore<MockVideoDTO, StoredVideo, VideoChange> {
  /** Records a video and returns its DTO. */
  add(v: NewVideo): MockVideoDTO {
    const dto: MockVideoDTO = {
      video_name: v.video_name,
      video_url: `api/v1/videos/i/${v.video_name}/full`,
      thumbnail_url: `api/v1/videos/i/${v.video_name}/thumbnail`,
      video_origin: v.video_origin,
      video_category: v.video_category,
      width: v.width,
      height: v.height,
      duration: v.duration,
      fps: v.fps,
      ...newRecordFields(v, sqliteNow()),
      video_subfolder: '',
      board_id: v.board_id ?? null,
    };
    const num_frames = v.num_frames ?? (v.fps === null ? 0 : Math.round(v.duration * v.fps));
    return this.put(v.video_name, { dto, ...storedFields(v), num_frames });
  }
}

// ---------- bytes ----------

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** An ISO-BMFF box: 32-bit size, 4-character type, payload. */
const box = (type: string, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};

/** The identity transformation matrix of `mvhd`/`tkhd` (16.16 and 2.30 fixed point). */
const MATRIX = Buffer.concat([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32));

/** Timescale of the generated movie header: milliseconds. */
const TIMESCALE = 1000;

/** What the generated MP4 says about its video. */
export interface Mp4Spec {
  readonly width: number;
  readonly height: number;
  /** Seconds. */
  readonly duration: number;
}

/**
 * A small deterministic MP4 that is structurally valid ISO-BMFF: an `ftyp` box, and a `moov` box with
 * an `mvhd` (the duration) and a `trak`/`tkhd` (the duration and the frame size), then a `free` box
 * carrying `key` so that different videos have different bytes. There is no `mdat` and no sample
 * table: the file has no decodable frames, which the simulator never needs (players show nothing).
 */
export const renderMp4 = (spec: Mp4Spec, key: string): Buffer => {
  const durationUnits = Math.max(0, Math.round(spec.duration * TIMESCALE));
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2mp41', 'latin1'));
  const mvhd = box(
    'mvhd',
    u32(0), // version 0, flags 0
    u32(0), // creation time
    u32(0), // modification time
    u32(TIMESCALE),
    u32(durationUnits),
    u32(0x00010000), // rate 1.0
    Buffer.from([0x01, 0x00, 0, 0]), // volume 1.0, reserved
    Buffer.alloc(8), // reserved
    MATRIX,
    Buffer.alloc(24), // pre-defined
    u32(2), // next track id
  );
  const tkhd = box(
    'tkhd',
    u32(0x00000003), // version 0, flags: enabled | in movie
    u32(0),
    u32(0),
    u32(1), // track id
    u32(0), // reserved
    u32(durationUnits),
    Buffer.alloc(8), // reserved
    Buffer.alloc(8), // layer, alternate group, volume (0 for video), reserved
    MATRIX,
    u32(Math.round(spec.width) * 0x10000),
    u32(Math.round(spec.height) * 0x10000),
  );
  const moov = box('moov', mvhd, box('trak', tkhd));
  return Buffer.concat([ftyp, moov, box('free', Buffer.from(`invokeai-rx simulator ${key}`, 'utf8'))]);
};

/** Reads the duration (from `mvhd`) and frame size (from the first `tkhd`) of an MP4, if it has them. */
export const mp4Info = (bytes: Buffer): { width?: number; height?: number; duration?: number } | undefined => {
  if (bytes.length < 12 || bytes.toString('latin1', 4, 8) !== 'ftyp') return undefined;
  const out: { width?: number; height?: number; duration?: number } = {};
  const walk = (start: number, end: number): void => {
    let at = start;
    while (at + 8 <= end) {
      const size = bytes.readUInt32BE(at);
      const type = bytes.toString('latin1', at + 4, at + 8);
      // 0 means "to the end", 1 a 64-bit size; neither is produced here, and both end the walk safely
      if (size < 8 || at + size > end) return;
      if (type === 'moov' || type === 'trak') walk(at + 8, at + size);
      else if (type === 'mvhd' && size >= 28 && bytes[at + 8] === 0) {
        const scale = bytes.readUInt32BE(at + 20);
        if (scale > 0) out.duration = bytes.readUInt32BE(at + 24) / scale;
      } else if (type === 'tkhd' && size >= 92 && bytes[at + 8] === 0 && out.width === undefined) {
        out.width = Math.round(bytes.readUInt32BE(at + 84) / 0x10000);
        out.height = Math.round(bytes.readUInt32BE(at + 88) / 0x10000);
      }
      at += size;
    }
  };
  walk(0, bytes.length);
  return out;
};

/** Writes bits least-significant first, as VP8L reads them. */
class BitWriter {
  private readonly bytes: number[] = [];
  private used = 0;

  write(value: number, count: number): this {
    for (let i = 0; i < count; i++) {
      if (this.used % 8 === 0) this.bytes.push(0);
      const last = this.bytes.length - 1;
      this.bytes[last] = (this.bytes[last] ?? 0) | (((value >>> i) & 1) << (this.used % 8));
      this.used++;
    }
    return this;
  }

  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/**
 * A lossless WebP (VP8L) of one flat colour picked from `key`: no transforms, no colour cache, and a
 * one-symbol prefix code per channel, so the pixels take no bits at all. Used for image and video thumbnails,
 * which the real server serves as WebP (`image/webp`).
 */
export const renderWebp = (width: number, height: number, key: string): Buffer => {
  const w = Math.max(1, Math.min(16384, Math.round(width)));
  const h = Math.max(1, Math.min(16384, Math.round(height)));
  const colour = hash32(`${key}|thumbnail`);
  const bits = new BitWriter()
    .write(w - 1, 14)
    .write(h - 1, 14)
    .write(0, 1) // alpha is not used
    .write(0, 3) // version 0
    .write(0, 1) // no transform
    .write(0, 1) // no colour cache
    .write(0, 1); // one prefix-code group for the whole image
  // green, red, blue, alpha, distance: each a "simple" code with one 8-bit symbol
  for (const symbol of [(colour >>> 8) & 0xff, colour & 0xff, (colour >>> 16) & 0xff, 0xff, 0]) bits.write(1, 1).write(0, 1).write(1, 1).write(symbol, 8);
  const vp8l = Buffer.concat([Buffer.from([0x2f]), bits.buffer()]);
  const padded = vp8l.length % 2 === 1 ? Buffer.concat([vp8l, Buffer.alloc(1)]) : vp8l;
  const chunk = Buffer.concat([Buffer.from('VP8L', 'latin1'), Buffer.alloc(4), padded]);
  chunk.writeUInt32LE(vp8l.length, 4);
  const riff = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.alloc(4), Buffer.from('WEBP', 'latin1'), chunk]);
  riff.writeUInt32LE(riff.length - 8, 4);
  return riff;
};
