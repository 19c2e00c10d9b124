/**
 * A tiny built-in bitmap font: 5 px wide, 7 px cap height, 2 px descender (5x9 cell), drawn on a
 * 6 px advance. Covers digits, A-Z, a-z, space, common punctuation, and a few Greek letters used
 * in captions (η γ ν σ θ μ) plus ×, · and &.
 *
 * Packed as: glyph char, number of rows (1 digit), then one base-32 digit per row (bit 4 = left
 * column). Trailing empty rows are omitted.
 */
const PACKED =
  "07ehjlphe174c4444e27eh1248v37v2421he4726aiv2257vgu11he6768guhhe77v12488887ehhehhe97ehhf12cA7" +
  "ehhvhhhB7uhhuhhuC7ehgggheD7sihhhisE7vgguggvF7vggugggG7ehgnhhfH7hhhvhhhI7e44444eJ772222icK7hi" +
  "kokihL7ggggggvM7hrllhhhN7hhpljhhO7ehhhhheP7uhhugggQ7ehhhlidR7uhhukihS7fgge11uT7v444444U7hhhh" +
  "hheV7hhhhha4W7hhhlllaX7hha4ahhY7hha4444Z7v1248gva700e1fhfb7gguhhhuc700egghed711fhhhfe700ehvg" +
  "ef7698s888g900fhhhf1eh7ggmphhhi740c444ej92062222ick7ggikokil7c44444em700qlllln700mphhho700eh" +
  "hhep900uhhhuggq900fhhhf11r700mpgggs700fge1ut788s8896u700hhhjdv700hhha4w700hhllax700ha4ahy900" +
  "hhhhf1ez700v248v.700000cc,900000cc48:60cc0cc;80cc0cc48-4000e+6044v44=500v0v(72488842)7842224" +
  "8%7op248j3/601248g_80000000v[7e88888e]7e22222e<7248g842>78421248|74444444#7aavavaa'3448!7444" +
  "4404?7eh12404*604lel4\"2aa~5008l2η900mphhh11γ900hhaa4a4ν700hhikoσ700fihheθ7ehhvhheμ900hhhjtgg" +
  "×700ha4ah·40004&78kk8lid";

export const GLYPH_W = 5;
/** Rows per glyph cell (7 cap-height rows + 2 descender rows). */
export const GLYPH_H = 9;
/** Cap height (rows above the baseline). */
export const CAP_H = 7;
/** Horizontal advance per character, in font pixels. */
export const ADVANCE = 6;

const B32 = '0123456789abcdefghijklmnopqrstuv';
const glyphs = new Map<string, Uint8Array>();
{
  let i = 0;
  while (i < PACKED.length) {
    const ch = PACKED[i];
    const n = Number(PACKED[i + 1]);
    const rows = new Uint8Array(GLYPH_H);
    for (let r = 0; r < n; r++) rows[r] = B32.indexOf(PACKED[i + 2 + r]);
    glyphs.set(ch, rows);
    i += 2 + n;
  }
  glyphs.set(' ', new Uint8Array(GLYPH_H));
  // d3's tick labels use the typographic minus sign.
  glyphs.set('\u2212', glyphs.get('-')!);
}
/** Shown for characters the font does not have: a small hollow box. */
const MISSING = Uint8Array.from([0, 0x1f, 0x11, 0x11, 0x11, 0x11, 0x1f, 0, 0]);

/** Row bitmaps (bit 4 = leftmost column) for a character; unknown characters give a box. */
export function glyph(ch: string): Uint8Array {
  return glyphs.get(ch) ?? glyphs.get(ch.toUpperCase()) ?? MISSING;
}

/** Whether the font has a real glyph for a character. */
export function hasGlyph(ch: string): boolean {
  return glyphs.has(ch) || glyphs.has(ch.toUpperCase());
}

/** Width in pixels of a string drawn at the given scale (no trailing gap). */
export function textWidth(str: string, scale = 1): number {
  const n = Array.from(str).length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

/** Height in pixels of one text line (cap height; descenders hang below). */
export function textHeight(scale = 1): number {
  return CAP_H * scale;
}
