/**
 * Advance widths of a TrueType font (from its cmap format-4 and hmtx tables), to lay out text
 * before the SVG is rendered: label margins and legend boxes. Kerning is ignored, so widths are
 * within a pixel or so of what resvg draws at chart sizes.
 */
export interface FontMetrics {
  /** Width in px of `text` at `size` px. */
  width(text: string, size: number): number;
}

/** Reads the metrics of a TrueType font file (bytes). Throws on files without the needed tables. */
export function readFontMetrics(ttf: Uint8Array): FontMetrics {
  const dv = new DataView(ttf.buffer, ttf.byteOffset, ttf.byteLength);
  const tables = new Map<string, number>();
  const numTables = dv.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(ttf[rec], ttf[rec + 1], ttf[rec + 2], ttf[rec + 3]);
    tables.set(tag, dv.getUint32(rec + 8));
  }
  const need = (tag: string): number => {
    const off = tables.get(tag);
    if (off === undefined) throw new Error(`font has no '${tag}' table`);
    return off;
  };
  const unitsPerEm = dv.getUint16(need('head') + 18);
  const numHMetrics = dv.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const advanceOf = (gid: number) => dv.getUint16(hmtx + 4 * Math.min(gid, numHMetrics - 1));

  // cmap: the Windows Unicode BMP (3, 1) or Unicode (0, *) subtable in format 4.
  const cmap = need('cmap');
  let sub = -1;
  for (let i = 0, n = dv.getUint16(cmap + 2); i < n; i++) {
    const platform = dv.getUint16(cmap + 4 + 8 * i);
    const encoding = dv.getUint16(cmap + 6 + 8 * i);
    const off = cmap + dv.getUint32(cmap + 8 + 8 * i);
    if (dv.getUint16(off) === 4 && ((platform === 3 && encoding === 1) || platform === 0)) {
      sub = off;
      break;
    }
  }
  if (sub < 0) throw new Error('font has no format-4 Unicode cmap');
  const segs = dv.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const rangeOffsets = deltas + 2 * segs;
  const glyphOf = (code: number): number => {
    for (let s = 0; s < segs; s++) {
      if (code > dv.getUint16(ends + 2 * s)) continue;
      const start = dv.getUint16(starts + 2 * s);
      if (code < start) return 0;
      const delta = dv.getInt16(deltas + 2 * s);
      const ro = dv.getUint16(rangeOffsets + 2 * s);
      if (ro === 0) return (code + delta) & 0xffff;
      const g = dv.getUint16(rangeOffsets + 2 * s + ro + 2 * (code - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  const advance = (code: number): number => {
    let a = cache.get(code);
    if (a === undefined) {
      a = advanceOf(code > 0xffff ? 0 : glyphOf(code)) / unitsPerEm;
      cache.set(code, a);
    }
    return a;
  };
  return {
    width(text: string, size: number): number {
      let em = 0;
      for (const ch of text) em += advance(ch.codePointAt(0)!);
      return em * size;
    },
  };
}
