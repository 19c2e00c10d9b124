/**
 * Bad image folders on the command line: an empty folder, a folder of non-images, a file named
 * .jpg that is not an image, a truncated PNG, a link to an image that is gone: one line naming the folder or file, exit 2,
 * nothing written (no run folder, no feature net in the cache). Images of mixed sizes are no
 * error: `--size` says what every image becomes, so each is centre-cropped and resized, with
 * a note that says how many.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { errorLines, runCli, tempDir } from '../helpers/cli.js';

const root = tempDir('image-folder-cli');
const cache = path.join(root, 'cache');
process.env.DGGF_CACHE = cache;

function writePng(file: string, w: number, h: number, v: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) {
    png.data[i * 4] = png.data[i * 4 + 1] = png.data[i * 4 + 2] = (v + 37 * i) % 256;
    png.data[i * 4 + 3] = 255;
  }
  fs.writeFileSync(file, PNG.sync.write(png));
}

test('bad image folders: one line naming the folder or file, exit 2, no run folder and no feature net written', () => {
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty, { recursive: true });
  const texts = path.join(root, 'texts');
  fs.mkdirSync(texts, { recursive: true });
  fs.writeFileSync(path.join(texts, 'a.txt'), 'not an image');
  fs.writeFileSync(path.join(texts, 'b.csv'), '1,2\n');
  const misnamed = path.join(root, 'misnamed');
  for (let i = 0; i < 5; i++) writePng(path.join(misnamed, `ok${i}.png`), 8, 8, i);
  fs.writeFileSync(path.join(misnamed, 'photo.jpg'), 'Hello, this is text');
  const truncated = path.join(root, 'truncated');
  for (let i = 0; i < 5; i++) writePng(path.join(truncated, `ok${i}.png`), 8, 8, i);
  const whole = fs.readFileSync(path.join(truncated, 'ok0.png'));
  fs.writeFileSync(path.join(truncated, 'cut.png'), whole.subarray(0, 40));

  const dangling = path.join(root, 'dangling');
  for (let i = 0; i < 5; i++) writePng(path.join(dangling, `ok${i}.png`), 8, 8, i);
  fs.symlinkSync(path.join(root, 'nowhere.png'), path.join(dangling, 'gone.png'));

  const cases: [string, RegExp][] = [
    [dangling, /gone\.png cannot be read \(file not found\), expected a PNG or JPEG image/],
    [empty, /empty: no images found, expected image files with extensions \.png, \.jpg, \.jpeg/],
    [texts, /texts: no images found/],
    [misnamed, /photo\.jpg does not start with a PNG or JPEG signature, expected a PNG or JPEG image/],
    [truncated, /cut\.png is not a readable PNG image/],
  ];
  for (const [data, pattern] of cases) {
    for (const args of [
      ['train', '--data', data, '--preset', 'emoji-cpu', '--size', '8', '--out', path.join(root, `run-${path.basename(data)}`)],
      ['features', 'train', '--data', data, '--size', '8'],
    ]) {
      const r = runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
      const lines = errorLines(r.stderr);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^dggf: /);
      assert.match(lines[0], pattern);
      assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
      assert.ok(!fs.existsSync(path.join(root, `run-${path.basename(data)}`)), 'no run folder');
    }
  }
  assert.ok(!fs.existsSync(path.join(cache, 'features')), 'no feature net written');
});

test('a folder of mixed sizes trains a feature net at --size: every image resized, with a note', () => {
  const mixed = path.join(root, 'mixed');
  for (let i = 0; i < 24; i++) writePng(path.join(mixed, `s${i}.png`), 8, 8, i);
  for (let i = 0; i < 6; i++) writePng(path.join(mixed, `l${i}.png`), 20, 14, i);
  const r = runCli(['features', 'train', '--data', mixed, '--size', '8', '--steps', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /features: note: 6 of 30 images were not 8×8 and were centre-cropped and resized/);
  assert.match(r.stderr, /no labels: a net that tells which of 4 rotations was applied/);
  assert.match(r.stdout, /features: saved to .*mixed-[0-9a-f]{8}-s8/);
});
