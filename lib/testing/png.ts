/** Deterministic PNG rendering for simulated generations. */
import { pngjs } from './optional-peers';

/** A 32-bit FNV-1a hash, used to turn (seed, prompt, size) into stable colours. */
export const hash32 = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
};

/** Renders a PNG whose pixels depend only on `key` (e.g. seed + prompt) and the size. */
export const renderPng = (width: number, height: number, key: string): Buffer => {
  const { PNG } = pngjs();
  const png = new PNG({ width, height });
  const h = hash32(`${key}|${width}x${height}`);
  const r0 = h & 0xff;
  const g0 = (h >>> 8) & 0xff;
  const b0 = (h >>> 16) & 0xff;
  const stripe = ((h >>> 24) & 0x1f) + 8;
  // fill a plain typed array (fast everywhere, including jest's sandbox), one 32-bit RGBA word per pixel
  const pixels = new Uint32Array(width * height);
  const reds = new Uint32Array(width);
  for (let x = 0; x < width; x++) reds[x] = (r0 + Math.floor((x * 255) / Math.max(1, width))) & 0xff;
  for (let y = 0; y < height; y++) {
    const g = (g0 + Math.floor((y * 255) / Math.max(1, height))) & 0xff;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const b = (b0 + (((x + y) / stripe) & 1) * 64) & 0xff;
      // little-endian: bytes in memory are R, G, B, A
      pixels[row + x] = ((0xff << 24) | (b << 16) | (g << 8) | (reds[x] ?? 0)) >>> 0;
    }
  }
  png.data = Buffer.from(pixels.buffer);
  // no per-row filter search: it dominates the cost and these images need no compression ratio
  return PNG.sync.write(png, { filterType: 0, deflateLevel: 1 });
};

/** Reads width and height from a PNG buffer, or undefined if it is not a PNG. */
const pngSize = (bytes: Buffer): { width: number; height: number } | undefined => {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
};

/** Reads width and height of a JPEG/GIF/WebP/PNG buffer when cheap to do so. */
export const imageSize = (bytes: Buffer): { width: number; height: number } | undefined => {
  const png = pngSize(bytes);
  if (png) return png;
  if (bytes.length > 10 && bytes.toString('ascii', 0, 3) === 'GIF') return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return undefined;
      const marker = bytes[i + 1] ?? 0;
      const len = bytes.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xc3) return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      i += 2 + len;
    }
  }
  return undefined;
};

/** A tiny preview image as a data URL, like the denoise progress previews. */
export const previewDataUrl = (key: string): string => `data:image/png;base64,${renderPng(8, 8, key).toString('base64')}`;

/** Resizes a PNG (nearest neighbour); other formats are replaced by a rendered PNG of the target size. */
export const resizeImage = (bytes: Buffer, width: number, height: number, key: string): Buffer => {
  if (!pngSize(bytes)) return renderPng(width, height, key);
  const { PNG } = pngjs();
  const src = PNG.sync.read(bytes);
  const dst = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    const sy = Math.min(src.height - 1, Math.floor((y * src.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(src.width - 1, Math.floor((x * src.width) / width));
      src.data.copy(dst.data, (y * width + x) << 2, (sy * src.width + sx) << 2, ((sy * src.width + sx) << 2) + 4);
    }
  }
  return PNG.sync.write(dst, { filterType: 0, deflateLevel: 1 });
};
