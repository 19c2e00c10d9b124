/**
 * `npm run eval`: the statistical quality check of the `toy` preset, too slow for `npm test`.
 * Trains the preset on every built-in 2-D target (fixed seed), evaluates 2,000 samples against
 * fresh data (with the data-vs-data value for scale) and writes bench/QUALITY.md and a gallery
 * picture docs/toy-gallery.png.
 *
 *   npm run eval [-- --seed 0 --data 8gaussians,rings]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineInfo, initEngine } from '../src/engine/index.js';
import { resolveConfig } from '../src/config/resolve.js';
import { resolveDataset, TOY_DATASET_NAMES } from '../src/data/index.js';
import { Trainer, deriveSetup } from '../src/train/trainer.js';
import { evaluateModel } from '../src/report/evaluate-run.js';
import { COLORS, Raster, boundsOf, drawScatter, encodePng } from '../src/viz/index.js';

import { opt, runScript } from './args.js';
import { engineLabel } from './engine-label.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SEED = Number(opt('seed', '0'));
const NAMES = opt('data', TOY_DATASET_NAMES.join(',')).split(',');

const f3 = (v: number): string => (Number.isFinite(v) ? v.toPrecision(3) : String(v));

async function main(): Promise<void> {
  await initEngine(opt('backend', 'wasm'));
  const info = await engineInfo();
  const rows: string[] = [];
  const cell = 300;
  const cols = 4;
  const gallery = new Raster(cols * cell, Math.ceil(NAMES.length / cols) * cell);
  for (const [i, name] of NAMES.entries()) {
    const { config } = resolveConfig({ preset: 'toy', overrides: { data: name, seed: SEED }, defaults: {} });
    const ds = resolveDataset(name);
    const tr = new Trainer(config, ds, await deriveSetup(config, ds));
    const t0 = performance.now();
    while (tr.iteration < config.iterations) await tr.step();
    const seconds = (performance.now() - t0) / 1000;
    const { evaluation: ev, samples, reference } = await evaluateModel(tr.model, ds, { n: 2000, seed: 1000 + SEED });
    tr.dispose();
    const modes = ev.modes
      ? `${(100 * Math.min(...ev.modes.fractions)).toFixed(1)}–${(100 * Math.max(...ev.modes.fractions)).toFixed(1)}% / ${(100 * ev.modes.far).toFixed(2)}%`
      : '—';
    const row = `| ${name} | ${seconds.toFixed(0)} | ${f3(ev.mmd)} | ${f3(ev.reference.mmd)} | **${(ev.mmd / ev.reference.mmd).toFixed(2)}** | ${(ev.energy / ev.reference.energy).toFixed(2)} | ${(ev.sliced_w / ev.reference.sliced_w).toFixed(2)} | ${f3(ev.kl_estimate ?? NaN)} | ${modes} |`;
    rows.push(row);
    console.log(row);
    drawScatter(
      gallery,
      [
        { points: reference, color: COLORS.data },
        { points: samples, color: COLORS.samples },
      ],
      boundsOf([reference]),
      { rect: { x: (i % cols) * cell, y: Math.floor(i / cols) * cell, w: cell, h: cell }, title: name, axes: false },
    );
  }
  const date = new Date().toISOString().slice(0, 10);
  const md = [
    '# Quality of the `toy` preset',
    '',
    `Written by \`npm run eval\` (bench/eval-toy.ts) on ${date}: the preset trained once per target with seed ${SEED}`,
    `on ${info.cpus} × ${info.cpuModel} (engine ${engineLabel(info)}), then 2,000 samples`,
    'against 2,000 fresh data points. "ref" is the same metric between two independent data draws of that size',
    '(what a perfect sampler would score); the ratios divide by it (1.0 = as close as fresh data).',
    '',
    '| data | train s | MMD | ref MMD | MMD ratio | energy ratio | sliced-W1 ratio | KL estimate | per mode (min–max) / far |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '![samples (blue) over data (grey) for each target](../docs/toy-gallery.png)',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(HERE, 'QUALITY.md'), md);
  fs.mkdirSync(path.join(HERE, '..', 'docs'), { recursive: true });
  fs.writeFileSync(path.join(HERE, '..', 'docs', 'toy-gallery.png'), encodePng(gallery));
  console.log('wrote bench/QUALITY.md and docs/toy-gallery.png');
}

runScript(main);
