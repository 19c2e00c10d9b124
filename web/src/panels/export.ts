/** Export: n samples of the current net as a CSV download (asked of the host), and the plot as a PNG. */
import { formatFloat32 } from '../../../src/data/csv.js';
import type { PageState, Send } from './page-state.js';
import type { Messages } from './messages.js';
import type { Plot } from './plot.js';
import { byId, markInvalid } from './dom.js';

export interface Exporter {
  /** Enables the buttons that can be used now. */
  update(): void;
  /** The host's answer to an export: the samples, row-major n×2. */
  samples(points: Float32Array): void;
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function createExporter(ui: PageState, send: Send, plot: Plot, messages: Messages): Exporter {
  const n = byId<HTMLInputElement>('export-n');
  const csv = byId<HTMLButtonElement>('export-csv');
  const png = byId<HTMLButtonElement>('export-png');
  let exports = 0;

  const fileStem = (): string => {
    const label = ui.session ? (ui.session.settings.target === 'custom' ? 'custom' : ui.session.settings.target.replace(/^run:/, '').replace(/[^\w.-]+/g, '_')) : 'view';
    return `dggf-${label}-iter${ui.iteration}`;
  };

  csv.addEventListener('click', () => {
    const count = Number(n.value.trim());
    const bad = !/^\s*\d+\s*$/.test(n.value) || count < 1 || count > 20000;
    markInvalid(n, bad);
    if (bad) {
      messages.error(`samples: expected a whole number from 1 to 20000, got '${n.value}'`);
      return;
    }
    messages.error(null);
    send({ type: 'export', id: ++exports, n: count });
  });

  png.addEventListener('click', () => {
    plot.draw();
    plot.canvas.toBlob((blob) => {
      if (blob) download(blob, `${fileStem()}.png`);
      else messages.error('could not encode the view as PNG');
    }, 'image/png');
  });

  return {
    update() {
      const ready = ui.ready && !ui.busy;
      // an image run's samples are pictures: the PNG of the grid is their export
      csv.disabled = !ready || !ui.session || Boolean(ui.session.image);
      png.disabled = !ui.ready;
    },
    samples(points) {
      const rows = ['x0,x1'];
      for (let i = 0; i + 1 < points.length; i += 2) rows.push(`${formatFloat32(points[i])},${formatFloat32(points[i + 1])}`);
      download(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), `${fileStem()}-samples.csv`);
    },
  };
}
