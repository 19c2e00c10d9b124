/**
 * Inputs for the robustness tests: fast-check arbitraries of CSV texts, IDX bytes, image bytes,
 * config files and command lines (random, and valid ones mutated), and image files whose
 * header lies about their size. Shared by test/unit/properties.test.ts, test/unit/limits.test.ts
 * and test/slow/properties-cli.test.ts.
 */
import zlib from 'node:zlib';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { encodeIdx } from '../../src/data/images/idx.js';
import { encodeJpeg } from '../../src/data/images/decode.js';

const csvField = fc.oneof(
  fc.double({ noNaN: false }).map(String),
  fc.integer().map(String),
  fc.constantFrom('', ' ', 'nan', 'Inf', '-inf', '1e39', '1e-45', '"1.5"', '"', 'x', '0x10', '1,5', '٣', '1_000', '+.5', '-0', '3.4028235e38'),
  fc.string({ maxLength: 8 }),
);

/** Any text, and delimited rows of numbers and near-numbers. */
export const csvText = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom(',', '\t', ';', ' ', '  '),
      fc.constantFrom('\n', '\r\n', '\r'),
      fc.array(fc.array(csvField, { minLength: 1, maxLength: 6 }), { maxLength: 12 }),
      fc.boolean(),
    )
    .map(([d, nl, rows, bom]) => (bom ? '\ufeff' : '') + rows.map((r) => r.join(d)).join(nl)),
);

/** Any bytes; a header that may lie about its type and dimensions; a valid file flipped or cut. */
export const idxBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .tuple(fc.constantFrom(0x08, 0x09, 0x0d), fc.integer({ min: 0, max: 5 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 5 }), fc.uint8Array({ maxLength: 200 }))
    .map(([type, nd, dims, data]) => {
      const head = new Uint8Array(4 + 4 * dims.length);
      head[2] = type;
      head[3] = nd;
      const v = new DataView(head.buffer);
      dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
      return new Uint8Array([...head, ...data]);
    }),
  fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.nat(), fc.nat({ max: 255 }), fc.integer({ min: -8, max: 0 }))
    .map(([c, h, w, at, xor, cut]) => {
      const b = encodeIdx([c, h, w], new Uint8Array(c * h * w).fill(7));
      b[at % b.length] ^= xor;
      return cut < 0 ? b.subarray(0, b.length + cut) : b;
    }),
);

export function validPng(w: number, h: number): Uint8Array {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < png.data.length; i++) png.data[i] = (i * 37) & 0xff;
  return new Uint8Array(PNG.sync.write(png));
}

export const validJpeg = (w: number, h: number): Uint8Array =>
  new Uint8Array(encodeJpeg(new Uint8Array(w * h * 4).map((_, i) => (i * 13) & 0xff), w, h, 80));

/** The image with its declared size rewritten: a PNG's IHDR (CRC fixed) or a JPEG's first frame header. */
export function claimSize(bytes: Uint8Array, w: number, h: number): Buffer {
  const b = Buffer.from(bytes);
  if (b[0] === 0x89) {
    b.writeUInt32BE(w, 16);
    b.writeUInt32BE(h, 20);
    b.writeUInt32BE(zlib.crc32(b.subarray(12, 29)) >>> 0, 29);
    return b;
  }
  for (let i = 2; i + 9 < b.length; i++) {
    if (b[i] === 0xff && b[i + 1] >= 0xc0 && b[i + 1] <= 0xc2) {
      b.writeUInt16BE(h & 0xffff, i + 5);
      b.writeUInt16BE(w & 0xffff, i + 7);
      break;
    }
  }
  return b;
}

/** Any bytes; bytes after a PNG or JPEG signature; valid images flipped or cut; headers claiming any size. */
export const imageBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...b])),
  fc.uint8Array({ maxLength: 200 }).map((b) => new Uint8Array([0xff, 0xd8, 0xff, ...b])),
  fc
    .tuple(fc.constantFrom('png', 'jpeg'), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.option(fc.nat()))
    .map(([kind, w, h, flips, cut]) => {
      const b = kind === 'png' ? validPng(w, h) : validJpeg(w, h);
      for (const [at, x] of flips) b[at % b.length] ^= x;
      return cut === null ? b : b.subarray(0, cut % b.length);
    }),
  // sides small, or so large that the image is over the pixel limit (within it, a lie decodes slowly but legitimately)
  fc
    .tuple(fc.constantFrom('png', 'jpeg'), fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 7100, max: 70000 })), fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 7100, max: 70000 })))
    .map(([kind, w, h]) => new Uint8Array(claimSize(kind === 'png' ? validPng(2, 2) : validJpeg(8, 8), w, h))),
);

const configKeys = fc.constantFrom('lr', 'eta', 'noise', 'iterations', 'batch', 'flowSteps', 'net', 'divergence', 'loss', 'prior', 'seed', 'preset', 'data', 'normalize', 'lrMilestones', 'etta', '__proto__', 'constructor');

/** Any text, any JSON, objects over config keys (known and not) with any values, and a key given twice. */
export const configText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.dictionary(configKeys, fc.jsonValue({ maxDepth: 2 })).map((o) => JSON.stringify(o)),
  fc.tuple(configKeys, fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })).map(([k, a, b]) => `{"${k}": ${JSON.stringify(a)}, "${k}": ${JSON.stringify(b)}}`),
);

const COMMANDS = ['train', 'sample', 'eval', 'playground', 'translate', 'info', 'demo', 'classifier train', 'features train', 'bogus'];
const OPTIONS = ['--data', '--out', '--run', '--n', '--lr', '--eta', '--noise', '--iterations', '--batch', '--seed', '--port', '--host', '--preset', '--divergence',
  '--loss', '--prior', '--flow-steps', '--checkpoint-every', '--size', '--class', '--classifier', '--guidance', '--filters', '--adversarial-warmup', '--json',
  '--no-normalize', '--normalize', '--flip', '--kl-curve', '--allow-host', '--help', '--version', '--lrr', '-x', '--'];
const optionValue = fc.oneof(
  fc.constantFrom('0', '1', '-1', '1e3', '1e400', 'NaN', 'Infinity', '0x10', '3.5', ' 7 ', '', '65536', '9007199254740993', 'kl', 'lr', 'toy', 'a,b', '4,,8'),
  fc.string({ maxLength: 12 }),
  fc.double().map(String),
);

/** Command lines: a command, then options and values in any order. */
export const commandLine = fc
  .tuple(fc.constantFrom(...COMMANDS), fc.array(fc.oneof(fc.constantFrom(...OPTIONS), optionValue), { maxLength: 8 }))
  .map(([c, rest]) => [...c.split(' '), ...rest]);
