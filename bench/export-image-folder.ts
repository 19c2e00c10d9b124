/**
 * Write images of one of our datasets as a folder of PNGs, as a user's own image folder would
 * be: `tsx bench/export-image-folder.ts --data fashion-mnist --n 2000 --out DIR [--classes] [--pad 2]`.
 *
 * - The first n training images are written, as `DIR/00000.png, …` (flat: no labels, the usual
 *   case), or with `--classes` as `DIR/<class name>/00000.png` (one sub-folder per class: the
 *   ImageFolder convention that `--data DIR` reads as labels).
 * - `--pad P` adds P pixels of the image's corner colour on every side (Fashion-MNIST's
 *   28×28 padded by 2 gives 32×32 images without resampling, as LeNet did with MNIST).
 *
 * Used for the "any image folder" showcase in bench/RESULTS.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bytesToRgba, encodePng, resolveImageDataset } from '../src/data/images/index.js';
import { flag, opt } from './args.js';

function padImage(bytes: Uint8Array, side: number, channels: number, pad: number): { bytes: Uint8Array; side: number } {
  if (pad === 0) return { bytes, side };
  const out = new Uint8Array((side + 2 * pad) ** 2 * channels);
  const W = side + 2 * pad;
  for (let c = 0; c < channels; c++) {
    const bg = bytes[c];
    for (let i = c; i < out.length; i += channels) out[i] = bg;
  }
  for (let y = 0; y < side; y++) {
    out.set(bytes.subarray(y * side * channels, (y + 1) * side * channels), ((y + pad) * W + pad) * channels);
  }
  return { bytes: out, side: W };
}

function main(): void {
  const data = opt('data', 'fashion-mnist');
  const n = Number(opt('n', '2000'));
  const out = opt('out', '');
  const pad = Number(opt('pad', '0'));
  const classes = flag('classes');
  if (!out) throw new Error('--out DIR is required');
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new Error(`${out} exists and is not empty`);
  const ds = resolveImageDataset(data);
  if (!ds) throw new Error(`--data ${data}: not an image dataset`);
  const { height, channels } = ds.image;
  const per = height * height * channels;
  const count = Math.min(n, ds.train.count);
  const names = ds.classNames ?? [];
  if (classes && !ds.train.labels) throw new Error(`${data} has no labels; leave out --classes`);
  for (let i = 0; i < count; i++) {
    const img = padImage(ds.train.pixels.subarray(i * per, (i + 1) * per), height, channels, pad);
    const rgba = bytesToRgba(img.bytes, { height: img.side, width: img.side, channels });
    const sub = classes ? (names[ds.train.labels![i]] ?? String(ds.train.labels![i])).replace(/[^a-z0-9._-]+/gi, '_') : '';
    const dir = path.join(out, sub);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.png`), encodePng(rgba, img.side, img.side));
  }
  process.stdout.write(`wrote ${count} ${data} images (${height + 2 * pad}×${height + 2 * pad}×${channels}) to ${out}${classes ? ` in ${names.length} class folders` : ''}\n`);
}

main();
