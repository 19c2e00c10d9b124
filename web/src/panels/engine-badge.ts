/**
 * The header's engine badge (which TF.js backend runs, in a worker or on the page's thread)
 * and the backend choice, which reloads the page with ?backend=….
 */
import { WEBGPU_BUNDLED } from 'virtual:dggf-webgpu';
import type { BrowserEngineInfo } from '../../../src/engine/browser.js';
import { byId } from './dom.js';

const CHOICES = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'];

export interface EngineBadge {
  /** The backend the URL asks for ('auto' unless ?backend=… names one). */
  readonly wanted: string;
  ready(engine: BrowserEngineInfo, thread: 'worker' | 'main'): void;
  failed(): void;
}

export function createEngineBadge(): EngineBadge {
  const badge = byId('backend');
  const choice = byId<HTMLSelectElement>('backend-choice');
  const wanted = new URLSearchParams(location.search).get('backend') ?? 'auto';
  choice.value = CHOICES.includes(wanted) ? wanted : 'auto';
  if (!WEBGPU_BUNDLED) choice.querySelector<HTMLOptionElement>('option[value="webgpu"]')!.disabled = true;
  choice.addEventListener('change', () => {
    const p = new URLSearchParams(location.search);
    p.set('backend', choice.value);
    location.search = p.toString();
  });
  return {
    wanted,
    ready(e, thread) {
      const extra = e.backend === 'webgl' && e.renderer ? ` · ${e.renderer}` : e.backend === 'wasm' ? (e.simd ? ' · SIMD' : ' · no SIMD') : '';
      badge.textContent = `${e.backend}${extra}${thread === 'main' ? ' · page thread' : ' · worker'}`;
      badge.title = [`TF.js backend '${e.tfjsBackend}'`, ...e.skipped.map((s) => `${s.backend} skipped: ${s.reason}`)].join('\n');
      badge.classList.toggle('warn', e.backend === 'cpu' || e.software === true);
    },
    failed() {
      badge.textContent = 'no backend';
      badge.classList.add('warn');
    },
  };
}
