/**
 * The CLI on images, with tiny PNG folders made here: train → report with a grid and a flow
 * GIF, sample → PNGs + grid + GIF + KL curve, and clear errors (exit 2) for a folder without
 * images, a corrupt image, grayscale data against an RGB run, and images of another size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { Rng } from '../../src/util/rng.js';
import { runCli, snapshot, tempDir } from '../helpers/cli.js';

/** n PNGs of size×size: a bright square at a random place on a dark background (RGB or gray). */
function writeImages(dir: string, n: number, size: number, gray: boolean, seed: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const png = new PNG({ width: size, height: size });
    const x0 = rng.int(size - 3);
    const y0 = rng.int(size - 3);
    const col = gray ? [200, 200, 200] : [rng.int(256), rng.int(256), rng.int(256)];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inside = x >= x0 && x < x0 + 3 && y >= y0 && y < y0 + 3;
        const o = (y * size + x) * 4;
        png.data[o] = inside ? col[0] : 20;
        png.data[o + 1] = inside ? col[1] : 20;
        png.data[o + 2] = inside ? col[2] : 20;
        png.data[o + 3] = 255;
      }
    }
    fs.writeFileSync(path.join(dir, `img${String(i).padStart(3, '0')}.png`), PNG.sync.write(png));
  }
}

const root = tempDir('image-cli');
// the report trains a folder's feature net when none is cached: keep it out of ~/.cache
process.env.DGGF_CACHE = path.join(root, 'cache');
const rgb = path.join(root, 'rgb');
writeImages(rgb, 30, 8, false, 1);
const cfg = path.join(root, 'tiny.json');
fs.writeFileSync(
  cfg,
  JSON.stringify({
    net: { type: 'cnn', channels: [4, 4], activation: 'leaky_relu' },
    iterations: 6,
    flowSteps: 3,
    batch: 8,
    logEvery: 2,
    checkpointEvery: 3,
    previewEvery: 3,
    imageSize: 8,
  }),
);
const run = path.join(root, 'run');
const trained = runCli(['train', '--data', rgb, '--preset', 'emoji-cpu', '--config', cfg, '--extra-steps', '2', '--out', run]);

test('train on an image folder: grid previews, report with a grid and a flow GIF, the prior in prior.bin', () => {
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /30 train|27 train/);
  for (const f of ['config.json', 'prior.bin', 'report.html', 'samples/latest.png', 'samples/iter-0000003.png', 'samples/final.png', 'figures/samples.png', 'figures/flow.gif']) {
    assert.ok(fs.existsSync(path.join(run, f)), `${f} exists`);
  }
  const grid = PNG.sync.read(fs.readFileSync(path.join(run, 'samples', 'final.png')));
  // 8 columns of 8×8 images at scale 2 with 2-px gaps: 8·(16 + 2) + 2 = 146
  assert.equal(grid.width, 146);
  const stored = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  assert.deepEqual(stored.derived.image, { height: 8, width: 8, channels: 3 });
  assert.equal(stored.config.sampleExtraSteps, 2);
  const report = fs.readFileSync(path.join(run, 'report.html'), 'utf8');
  assert.match(report, /flow\.gif/);
  // no labels: the report trained the folder's rotation feature net, with progress, and shows FID/KID on it
  assert.match(trained.stderr, /features: no feature net for .* training one for FID\/KID \(no labels: a net that tells which of 4 rotations/);
  assert.match(trained.stderr, /features: held-out accuracy/);
  assert.match(report, /FID \(the rotation net trained on [^)]*rgb, n = 13\)/);
  assert.match(report, /judged upright by the rotation net/);
  assert.match(trained.stdout, /^FID [\d.]+ \(real vs real [\d.-]+\), KID/m);
});

test('sample on an image run: n PNGs of the image size, grid.png, a GIF and the KL curve', () => {
  const out = path.join(root, 'samples');
  const gif = path.join(root, 'flow.gif');
  const kl = path.join(root, 'kl.csv');
  const r = runCli(['sample', '--run', run, '--n', '12', '--out', out, '--gif', gif, '--kl-curve', kl, '--seed', '4']);
  assert.equal(r.code, 0, r.stderr);
  const files = fs.readdirSync(out).sort();
  assert.deepEqual(files, [...Array.from({ length: 12 }, (_, i) => `${String(i).padStart(6, '0')}.png`), 'grid.png']);
  const one = PNG.sync.read(fs.readFileSync(path.join(out, '000007.png')));
  assert.equal(one.width, 8);
  assert.equal(one.height, 8);
  assert.equal(fs.readFileSync(gif).subarray(0, 6).toString('ascii'), 'GIF89a');
  const rows = fs.readFileSync(kl, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'step,kl_estimate');
  assert.equal(rows.length, 1 + 3 + 2 + 1, 'one row per flow step (K + κ) and the start');
  // same seed → same images
  const again = path.join(root, 'samples-again');
  assert.equal(runCli(['sample', '--run', run, '--n', '12', '--out', again, '--seed', '4']).code, 0);
  assert.deepEqual(fs.readFileSync(path.join(again, '000003.png')), fs.readFileSync(path.join(out, '000003.png')));
});

test('image bad input: one clear line, exit 2, the run folder untouched', () => {
  const before = snapshot(run);
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty, { recursive: true });
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'no images here');
  const gray = path.join(root, 'gray');
  writeImages(gray, 25, 8, true, 2);
  const big = path.join(root, 'big');
  writeImages(big, 25, 16, false, 3);
  const corrupt = path.join(root, 'corrupt');
  writeImages(corrupt, 22, 8, false, 4);
  fs.writeFileSync(path.join(corrupt, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  const cases: [string[], RegExp][] = [
    [['train', '--data', empty, '--preset', 'emoji-cpu', '--out', path.join(root, 'r-empty')], /no images|\.png/i],
    [['train', '--data', corrupt, '--preset', 'emoji-cpu', '--config', cfg, '--out', path.join(root, 'r-corrupt')], /broken\.png/],
    [['eval', '--run', run, '--data', gray], /8×8×1 images \(grayscale vs the run's RGB\)/],
    [['eval', '--run', run, '--data', '8gaussians'], /2-D points, but the run .* was trained on 8×8×3 images/],
    [['train', '--data', big, '--out', run], /this run was created with data/],
    [['train', '--data', '8gaussians', '--preset', 'mnist-cpu', '--out', path.join(root, 'r-points')], /needs image data/],
    [['sample', '--run', run, '--n', '3', '--out', path.join(root, 'x.csv', 'y'), '--png', path.join(root, 'a.png')], /does not exist|--png/],
  ];
  for (const [args, pattern] of cases) {
    const r = runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => l.startsWith('dggf:')).length, 1, r.stderr);
  }
  assert.deepEqual(snapshot(run), before);
});

test('a folder of mixed sizes is resized, with a note', () => {
  const mixed = path.join(root, 'mixed');
  writeImages(mixed, 20, 8, false, 5);
  writeImages(path.join(mixed, 'more'), 5, 12, false, 6);
  // sub-folder labels need ≥ 2 sub-folders, so these count as plain images of the same set
  const r = runCli(['train', '--data', mixed, '--preset', 'emoji-cpu', '--config', cfg, '--iterations', '1', '--no-report', '--out', path.join(root, 'r-mixed')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /note: .*resized/);
});

test("the authors' net with self-attention (paper-32, shrunk) trains, resumes and samples; --attention-after on a cnn is refused", () => {
  const small = path.join(root, 'small-basic.json');
  // the preset's net with fewer, narrower stages (its spectral norm kept), on 8×8 images
  fs.writeFileSync(
    small,
    JSON.stringify({ net: { stem: 8, stages: [{ channels: 8, blocks: 1, stride: 1 }, { channels: 8, blocks: 1, stride: 2 }] }, iterations: 2, flowSteps: 2, batch: 6, logEvery: 1, checkpointEvery: 1, imageSize: 8 }),
  );
  const out = path.join(root, 'r-basic');
  const t = runCli(['train', '--data', rgb, '--preset', 'paper-32', '--config', small, '--attention-after', '2', '--no-report', '--out', out]);
  assert.equal(t.code, 0, t.stderr);
  const stored = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(stored.config.net, {
    type: 'basic-resnet',
    stem: 8,
    stages: [
      { channels: 8, blocks: 1, stride: 1 },
      { channels: 8, blocks: 1, stride: 2 },
    ],
    activation: 'leaky_relu',
    spectralNorm: true,
    attentionAfter: 2,
  });
  assert.equal(runCli(['train', '--out', out, '--iterations', '3', '--no-report']).code, 0, 'resumes from its checkpoint');
  const samples = path.join(root, 'basic-samples');
  const s = runCli(['sample', '--run', out, '--n', '4', '--out', samples]);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(fs.existsSync(path.join(samples, 'grid.png')));
  const refused = runCli(['train', '--data', rgb, '--preset', 'emoji-cpu', '--config', cfg, '--attention-after', '1', '--out', path.join(root, 'r-cnn-attn')]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /unknown field\(s\) for a 'cnn' net: attentionAfter/);
});
