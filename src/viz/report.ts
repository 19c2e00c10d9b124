/**
 * A self-contained HTML report page (inline CSS, no external assets). All text is escaped;
 * `html` and `svg` section fields are inserted as given (trusted markup, e.g. from curvesSvg).
 */
import { formatNumber } from './axes.js';

export interface ReportImage {
  /** Relative path (or data: URL) of the image, as the caller wrote it. */
  src: string;
  caption?: string;
  alt?: string;
}

export interface ReportSection {
  heading: string;
  /** Trusted HTML inserted verbatim. */
  html?: string;
  images?: ReportImage[];
  /** Key / value rows; numbers are shown with 4 significant digits. */
  table?: { rows: [string, string | number][] };
  /** Trusted SVG markup inserted verbatim (e.g. curvesSvg output). */
  svg?: string;
  /** Preformatted text (escaped). */
  pre?: string;
}

export interface ReportOptions {
  title: string;
  subtitle?: string;
  sections: ReportSection[];
  /** Small print at the bottom (escaped). */
  footer?: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Formats a table value: numbers to 4 significant digits, strings escaped. */
function cell(v: string | number): string {
  return typeof v === 'number' ? `<td class="num">${escapeHtml(formatNumber(v))}</td>` : `<td>${escapeHtml(v)}</td>`;
}

/** Strips an XML prolog so an SVG document can be inlined. */
function inlineSvg(svg: string): string {
  return svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
}

const CSS = `
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--accent:#1f77b4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 20px 48px}
header{margin-bottom:22px;border-bottom:3px solid var(--accent);padding-bottom:12px}
h1{font-size:1.7rem;margin:0 0 4px;line-height:1.25}
.subtitle{color:var(--muted);margin:0}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px 18px;margin:0 0 18px}
h2{font-size:1.15rem;margin:0 0 12px}
.figs{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;flex:1 1 300px;max-width:100%}
figure img{display:block;max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px;image-rendering:auto}
figcaption{color:var(--muted);font-size:.85rem;margin-top:4px}
.svg{overflow-x:auto}.svg svg{max-width:100%;height:auto}
table{border-collapse:collapse;font-size:.92rem;margin:4px 0}
td{padding:3px 14px 3px 0;border-bottom:1px solid var(--line);vertical-align:top}
td:first-child{color:var(--muted)}
td.num{font-variant-numeric:tabular-nums;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;font-size:.82rem;line-height:1.4}
.html>:first-child{margin-top:0}
footer{color:var(--muted);font-size:.8rem;margin-top:24px}
@media (max-width:600px){main{padding:16px 10px}section{padding:12px}h1{font-size:1.35rem}}
`.trim();

/** Renders the report as one HTML document string. */
export function renderReport(opts: ReportOptions): string {
  const out: string[] = [];
  out.push('<!DOCTYPE html>');
  out.push('<html lang="en">');
  out.push('<head>');
  out.push('<meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${escapeHtml(opts.title)}</title>`);
  out.push(`<style>${CSS}</style>`);
  out.push('</head>');
  out.push('<body><main>');
  out.push('<header>');
  out.push(`<h1>${escapeHtml(opts.title)}</h1>`);
  if (opts.subtitle) out.push(`<p class="subtitle">${escapeHtml(opts.subtitle)}</p>`);
  out.push('</header>');
  for (const s of opts.sections) {
    out.push('<section>');
    out.push(`<h2>${escapeHtml(s.heading)}</h2>`);
    if (s.html) out.push(`<div class="html">${s.html}</div>`);
    if (s.table && s.table.rows.length) {
      out.push('<table><tbody>');
      for (const [k, v] of s.table.rows) out.push(`<tr><td>${escapeHtml(k)}</td>${cell(v)}</tr>`);
      out.push('</tbody></table>');
    }
    if (s.svg) out.push(`<div class="svg">${inlineSvg(s.svg)}</div>`);
    if (s.images && s.images.length) {
      out.push('<div class="figs">');
      for (const im of s.images) {
        const alt = im.alt ?? im.caption ?? '';
        out.push('<figure>');
        const src = /^\s*(javascript|vbscript):/i.test(im.src) ? '#' : im.src;
        out.push(`<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}" loading="lazy">`);
        if (im.caption) out.push(`<figcaption>${escapeHtml(im.caption)}</figcaption>`);
        out.push('</figure>');
      }
      out.push('</div>');
    }
    if (s.pre !== undefined) out.push(`<pre>${escapeHtml(s.pre)}</pre>`);
    out.push('</section>');
  }
  if (opts.footer) out.push(`<footer>${escapeHtml(opts.footer)}</footer>`);
  out.push('</main></body>');
  out.push('</html>');
  return out.join('\n') + '\n';
}
