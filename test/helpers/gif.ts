/** Minimal GIF reader for tests: global palette, loop extension, frame delays, LZW-decoded indices. */
import assert from 'node:assert/strict';

export interface Gif {
  width: number;
  height: number;
  loopForever: boolean;
  palette: number[][];
  /** transparent: the frame's transparent index (-1 for none). */
  frames: { delay: number; transparent: number; w: number; h: number; index: Uint8Array }[];
}
export function readGif(b: Uint8Array): Gif {
  assert.equal(String.fromCharCode(...b.subarray(0, 6)), 'GIF89a');
  const u16 = (p: number) => b[p] | (b[p + 1] << 8);
  const gif: Gif = { width: u16(6), height: u16(8), loopForever: false, palette: [], frames: [] };
  let p = 13;
  if (b[10] & 0x80) {
    const n = 2 << (b[10] & 7);
    for (let i = 0; i < n; i++) gif.palette.push([b[p + 3 * i], b[p + 3 * i + 1], b[p + 3 * i + 2]]);
    p += 3 * n;
  }
  const blocks = () => {
    const out: number[] = [];
    while (b[p] !== 0) {
      for (let i = 1; i <= b[p]; i++) out.push(b[p + i]);
      p += b[p] + 1;
    }
    p++;
    return Uint8Array.from(out);
  };
  let delay = 0;
  let transparent = -1;
  for (;;) {
    const t = b[p++];
    if (t === 0x3b) break;
    if (t === 0x21) {
      const label = b[p++];
      const head = b.subarray(p + 1, p + 1 + b[p]);
      p += b[p] + 1;
      const data = blocks();
      if (label === 0xf9) {
        delay = (head[1] | (head[2] << 8)) * 10;
        transparent = head[0] & 1 ? head[3] : -1;
      }
      if (label === 0xff && String.fromCharCode(...head) === 'NETSCAPE2.0') {
        gif.loopForever = data[0] === 1 && (data[1] | (data[2] << 8)) === 0;
      }
    } else if (t === 0x2c) {
      const w = u16(p + 4);
      const h = u16(p + 6);
      const f = b[p + 8];
      p += 9;
      if (f & 0x80) p += 3 * (2 << (f & 7));
      const min = b[p++];
      gif.frames.push({ delay, transparent, w, h, index: lzw(blocks(), min, w * h) });
      transparent = -1;
    } else throw new Error(`unexpected GIF block 0x${t.toString(16)}`);
  }
  return gif;
}
function lzw(data: Uint8Array, min: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const clear = 1 << min;
  let dict: number[][] = [];
  let width = min + 1;
  let prev: number[] | null = null;
  let o = 0;
  let bit = 0;
  const reset = () => {
    dict = Array.from({ length: clear + 2 }, (_, i) => [i]);
    width = min + 1;
    prev = null;
  };
  reset();
  while (bit + width <= data.length * 8) {
    let code = 0;
    for (let i = 0; i < width; i++, bit++) code |= ((data[bit >> 3] >> (bit & 7)) & 1) << i;
    if (code === clear) {
      reset();
      continue;
    }
    if (code === clear + 1) break;
    const entry: number[] = code < dict.length ? dict[code] : [...prev!, prev![0]];
    for (const v of entry) if (o < size) out[o++] = v;
    if (prev && dict.length < 4096) dict.push([...prev, entry[0]]);
    prev = entry;
    if (dict.length === 1 << width && width < 12) width++;
  }
  assert.equal(o, size, 'LZW stream decodes to a full frame');
  return out;
}

/**
 * The frames as shown (full-size frames, not disposed): RGB bytes per frame, each frame's
 * transparent pixels keeping the previous frame's colour.
 */
export function gifFramesRgb(gif: Gif): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = new Uint8Array(gif.width * gif.height * 3).fill(255);
  for (const f of gif.frames) {
    const cur = prev.slice();
    for (let q = 0; q < f.index.length; q++) {
      const k = f.index[q];
      if (k === f.transparent) continue;
      const c = gif.palette[k];
      cur[3 * q] = c[0];
      cur[3 * q + 1] = c[1];
      cur[3 * q + 2] = c[2];
    }
    out.push(cur);
    prev = cur;
  }
  return out;
}
