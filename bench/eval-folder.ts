/**
 * The "any image folder" check: FID/KID of a run trained on a user's image folder, on the
 * feature net of that folder (a rotation net for a flat folder, a classifier with class
 * sub-folders; trained here when not cached), next to the figures that say whether that
 * feature net can tell anything apart: real vs real, the prior's own draws, and an early
 * (badly trained) checkpoint of the same run. Writes a 100-sample grid to docs/ and the
 * section "Any image folder" of bench/RESULTS.md.
 *
 *   tsx bench/eval-folder.ts --data DIR --run RUN [--early RUN_EARLY] [--classes DIR2] [--n 900] [--grid docs/folder-samples.png] [--section 'Any image folder']
 *
 * `--classes DIR2`: the same images with class sub-folders; the run is also scored on that
 * folder's classifier. One draw of n samples per figure (FID moves with the draw: compare
 * with the real-vs-real figure of the same n).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine } from '../src/engine/index.js';
import { resolveImageDataset } from '../src/data/images/index.js';
import type { ImageDataset } from '../src/data/types.js';
import { loadRun } from '../src/train/run.js';
import { datasetFeatureNet } from '../src/eval/dataset-features.js';
import { classifySamples, imageMetrics, type FeatureNet } from '../src/eval/features.js';
import { clampImages, evaluateImageModel, realImageSets } from '../src/report/evaluate-images.js';
import { imageGridPng } from '../src/viz/index.js';
import { Rng } from '../src/util/rng.js';
import { opt, runScript } from './args.js';
import { f3, pct } from './image-eval.js';
import { replaceSection } from './results-file.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Row {
  what: string;
  fid: number;
  kid: number;
  upright?: number;
  meanMaxProb?: number;
}

async function scoreRuns(label: string, ds: ImageDataset, net: FeatureNet, runs: [string, string][], n: number, seed: number): Promise<{ rows: Row[]; realFid: number; realKid: number; samples: Float32Array }> {
  const rows: Row[] = [];
  let realFid = NaN;
  let realKid = NaN;
  let samples: Float32Array = new Float32Array(0);
  const { real, other } = realImageSets(ds, n, seed);
  const rotation = net.meta.task === 'rotation';
  const extra = async (x: Float32Array): Promise<Pick<Row, 'upright' | 'meanMaxProb'>> => {
    const h = await classifySamples(net, x, n);
    return rotation ? { upright: h.fractions[0] } : { meanMaxProb: h.meanMaxProb };
  };
  rows.push({ what: 'real vs real (two disjoint sets)', fid: 0, kid: 0, ...(await extra(other)) });
  for (const [what, dir] of runs) {
    const { model, checkpoint } = loadRun(dir);
    try {
      const t0 = process.cpuUsage();
      const w0 = Date.now();
      const { evaluation, samples: s } = await evaluateImageModel(model, ds, net, { n, seed });
      const cpu = process.cpuUsage(t0);
      console.log(`${label}: ${what} (iteration ${checkpoint.iteration}): FID ${f3(evaluation.fid!)} KID ${f3(evaluation.kid!)} (${((Date.now() - w0) / 1000).toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU)`);
      realFid = evaluation.reference!.fid;
      realKid = evaluation.reference!.kid;
      rows.push({ what: `${what} (iteration ${checkpoint.iteration})`, fid: evaluation.fid!, kid: evaluation.kid!, ...(await extra(s)) });
      if (samples.length === 0) samples = s;
      if (rows.length === 2) {
        const prior = clampImages(model.prior.sample(n, new Rng(777)));
        const mp = await imageMetrics(net, prior, real, other, n, { seed });
        rows.push({ what: 'draws of the prior the flow starts from', fid: mp.fid, kid: mp.kid, ...(await extra(prior)) });
      }
    } finally {
      model.dispose();
    }
  }
  rows[0].fid = realFid;
  rows[0].kid = realKid;
  return { rows, realFid, realKid, samples };
}

function table(rows: Row[], rotation: boolean): string[] {
  const last = rotation ? 'judged upright (0°)' : 'mean max class probability';
  return [
    `| images | FID | KID | ${last} |`,
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${f3(r.fid)} | ${f3(r.kid)} | ${rotation ? pct(r.upright!) : f3(r.meanMaxProb!)} |`),
  ];
}

runScript(async () => {
  const data = opt('data', '');
  const run = opt('run', '');
  const early = opt('early', '');
  const classes = opt('classes', '');
  const gridFile = opt('grid', path.join(HERE, '..', 'docs', 'folder-samples.png'));
  const heading = `## ${opt('section', 'Any image folder')}`;
  if (!data || !run) throw new Error('--data DIR and --run RUN are required');
  const stored = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  const size = stored.config.imageSize as number | undefined;
  await initEngine(undefined, {});
  const log = (l: string): void => void process.stdout.write(l);
  const load = (dir: string): ImageDataset => {
    const ds = resolveImageDataset(dir, size !== undefined ? { size } : {});
    if (!ds) throw new Error(`${dir}: not an image folder`);
    return ds;
  };
  const ds = load(data);
  const n = Number(opt('n', String(Math.min(1000, Math.floor(ds.train.count / 2)))));
  const seed = 11;
  const runs: [string, string][] = [['trained run', run], ...(early ? ([['early checkpoint', early]] as [string, string][]) : [])];
  const net = await datasetFeatureNet(ds, { log });
  const flat = await scoreRuns('flat', ds, net, runs, n, seed);
  net.dispose();
  fs.writeFileSync(gridFile, imageGridPng(flat.samples, 100, ds.image, { cols: 10 }));
  console.log(`wrote ${gridFile}`);
  const m = net.meta;
  const section = [
    heading,
    '',
    `Written by \`tsx bench/eval-folder.ts\` (${new Date().toISOString().slice(0, 10)}): the run in ${run} (preset \`${stored.config.preset}\`, ${stored.config.iterations} iterations planned)`,
    `on the folder ${data} (${ds.train.count} train / ${ds.test?.count ?? 0} held-out images, ${ds.image.height}×${ds.image.width}×${ds.image.channels}), n = ${n} per set, one draw each.`,
    `Feature net: ${m.task === 'rotation' ? 'rotation net (which of 4 rotations; no labels)' : 'classifier'} trained on the folder, ${m.steps} steps, held-out accuracy ${pct(m.testAccuracy)} on ${m.testCount} images.`,
    '',
    ...table(flat.rows, m.task === 'rotation'),
  ];
  if (classes) {
    const dsC = load(classes);
    const netC = await datasetFeatureNet(dsC, { log });
    const c = await scoreRuns('classes', dsC, netC, runs, n, seed);
    const mc = netC.meta;
    section.push(
      '',
      `The same images with class sub-folders (${classes}): a classifier of its ${mc.classes} classes, ${mc.steps} steps, held-out accuracy ${pct(mc.testAccuracy)} on ${mc.testCount} images.`,
      '',
      ...table(c.rows, false),
    );
    netC.dispose();
  }
  section.push('', `![100 samples](../docs/${path.basename(gridFile)})`);
  replaceSection(path.join(HERE, 'RESULTS.md'), heading, section.join('\n') + '\n');
  console.log(section.join('\n'));
});
