/**
 * The run configuration the playground's settings stand for: the `toy` preset with the
 * user's choices over it, validated by the library's own schema (and pairing rules).
 */
import { PRESETS } from '../../src/config/presets.js';
import { ConfigError, validateConfig, type RunConfig } from '../../src/config/schema.js';
import { workProblem } from './fields.js';
import { DIVERGENCES } from '../../src/divergences/index.js';
import { LOSSES, pairingProblem } from '../../src/losses/index.js';
import type { Pairing, Settings } from './protocol.js';

/** Every valid divergence/loss pairing. */
export function pairings(): Pairing[] {
  const out: Pairing[] = [];
  for (const loss of LOSSES) {
    for (const divergence of DIVERGENCES) {
      if (!pairingProblem(loss, divergence)) out.push({ value: `${loss}-${divergence}`, label: `${loss.toUpperCase()} – ${divergence}`, divergence, loss });
    }
  }
  return out;
}

/** The toy preset with the settings over it, checked by the library's schema. */
export function configFromSettings(s: Settings, dataName: string): RunConfig {
  const work = workProblem(s.flowSteps, s.batch);
  if (work) throw new ConfigError(`settings: ${work}`);
  const preset = PRESETS.toy.config;
  return validateConfig(
    {
      ...preset,
      preset: 'toy',
      data: dataName,
      seed: s.seed,
      divergence: s.divergence,
      loss: s.loss,
      eta: s.eta,
      noise: s.noise,
      flowSteps: s.flowSteps,
      batch: s.batch,
      lr: s.lr,
      iterations: s.iterations,
      net: { ...preset.net },
    },
    'settings',
  );
}
