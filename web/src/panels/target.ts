/**
 * The target: a toy dataset, or custom points pasted as x,y rows or drawn on the plot. Shows
 * what is wrong with pasted points inline, and keeps the plot's grey data layer in step.
 */
import { TOY_DATASETS, TOY_DATASET_NAMES } from '../../../src/data/toy2d.js';
import { parseCsvPoints } from '../../../src/data/csv.js';
import type { PageState } from './page-state.js';
import type { Messages } from './messages.js';
import type { Plot } from './plot.js';
import { byId, markInvalid } from './dom.js';

export interface Target {
  /** The chosen target: a toy name or 'custom'. */
  readonly value: string;
  /** The custom points' text as typed. */
  readonly pointsText: string;
  /** Parses the custom points; marks the text box and shows the count. */
  parse(): { points?: Float32Array; error?: string };
  /** Shows a loaded run's target (a toy name, 'custom' for a CSV, 'run:<data>' for an image run). */
  show(target: string): void;
  /** Puts the right points in the plot's data layer: the custom set being edited, else the session's data. */
  refreshData(): void;
}

/** `changed`: the target or its points changed (a restart may be needed). */
export function createTarget(ui: PageState, plot: Plot, messages: Messages, changed: () => void): Target {
  const select = byId<HTMLSelectElement>('target');
  const customPanel = byId('custom-panel');
  const points = byId<HTMLTextAreaElement>('points');
  const draw = byId<HTMLInputElement>('draw');
  const clear = byId<HTMLButtonElement>('clear-points');
  const count = byId('points-count');
  let customPoints: Float32Array | null = null;

  for (const name of TOY_DATASET_NAMES) select.add(new Option(name, name));
  select.add(new Option('custom (draw / paste)', 'custom'));
  for (const [name, spec] of Object.entries(TOY_DATASETS)) select.querySelector<HTMLOptionElement>(`option[value="${name}"]`)!.title = spec.description;
  customPanel.hidden = select.value !== 'custom';

  const parse = (): { points?: Float32Array; error?: string } => {
    const text = points.value;
    let result: { points?: Float32Array; error?: string };
    if (text.trim() === '') {
      result = { error: 'custom points: the set is empty — paste x,y rows or draw on the canvas' };
    } else {
      try {
        const csv = parseCsvPoints(text, 'points');
        if (csv.dim !== 2) result = { error: `points: ${csv.dim} column${csv.dim === 1 ? '' : 's'} per row, expected 2 (x,y)` };
        else if (csv.n < 2) result = { error: `points: ${csv.n} point, expected at least 2` };
        else if (csv.n > 50000) result = { error: `points: ${csv.n} points, at most 50000 here` };
        else result = { points: csv.points };
      } catch (e) {
        result = { error: (e as Error).message };
      }
    }
    customPoints = result.points ?? null;
    count.textContent = result.points ? `${result.points.length / 2} points` : '';
    markInvalid(points, Boolean(result.error) && text.trim() !== '');
    return result;
  };

  const refreshData = (): void => {
    const s = ui.session;
    if (select.value === 'custom' && (!s || ui.stale || s.kind !== 'train' || s.settings.target !== 'custom')) plot.setData(customPoints ?? new Float32Array(0));
    else plot.setData(s?.data ?? new Float32Array(0));
  };

  select.addEventListener('change', () => {
    customPanel.hidden = select.value !== 'custom';
    if (select.value === 'custom') {
      const r = parse();
      if (points.value.trim() !== '' && r.error) messages.error(r.error);
    }
    refreshData();
    changed();
  });
  points.addEventListener('input', () => {
    const r = parse();
    messages.error(r.error && points.value.trim() !== '' ? r.error : null);
    refreshData();
    changed();
  });
  clear.addEventListener('click', () => {
    points.value = '';
    parse();
    messages.error(null);
    refreshData();
    changed();
  });

  // drawing custom points: a few points scattered around the pointer as it moves
  let drawing = false;
  let lastDraw = 0;
  const addDrawnPoints = (e: PointerEvent): void => {
    const now = performance.now();
    if (now - lastDraw < 12) return;
    lastDraw = now;
    const rect = plot.canvas.getBoundingClientRect();
    const [x, y] = plot.renderer.toData(e.clientX - rect.left, e.clientY - rect.top);
    const b = plot.renderer.state.bounds;
    const spread = 0.012 * (b.x1 - b.x0);
    const lines: string[] = [];
    for (let i = 0; i < 3; i++) {
      const u = Math.sqrt(-2 * Math.log(1 - Math.random()));
      const t = 2 * Math.PI * Math.random();
      lines.push(`${(x + spread * u * Math.cos(t)).toFixed(4)},${(y + spread * u * Math.sin(t)).toFixed(4)}`);
    }
    const text = points.value;
    points.value = text + (text === '' || text.endsWith('\n') ? '' : '\n') + lines.join('\n') + '\n';
    parse();
    refreshData();
  };
  plot.canvas.addEventListener('pointerdown', (e) => {
    if (select.value !== 'custom' || !draw.checked) return;
    drawing = true;
    plot.canvas.setPointerCapture(e.pointerId);
    addDrawnPoints(e);
  });
  plot.canvas.addEventListener('pointermove', (e) => {
    if (drawing) addDrawnPoints(e);
  });
  const endDraw = (): void => {
    if (!drawing) return;
    drawing = false;
    messages.error(null);
    changed();
  };
  plot.canvas.addEventListener('pointerup', endDraw);
  plot.canvas.addEventListener('pointercancel', endDraw);

  return {
    get value() {
      return select.value;
    },
    get pointsText() {
      return points.value;
    },
    parse,
    show(target) {
      // a loaded image run's target is its dataset, an entry only while it is loaded
      for (const o of [...select.options]) if (o.value.startsWith('run:') && o.value !== target) o.remove();
      if (target.startsWith('run:') && !select.querySelector(`option[value="${CSS.escape(target)}"]`)) {
        const name = target.slice(4).split(/[\\/]/).filter(Boolean).pop() ?? target.slice(4);
        select.add(new Option(`${name} (the loaded image run)`, target));
      }
      select.value = target;
      customPanel.hidden = target !== 'custom';
    },
    refreshData,
  };
}
