/** Pictures for 2-D generative-model runs: PNG scatter plots and curves, flow GIFs, HTML report. */
export { Raster, type RGB } from './raster.js';
export { encodePng } from './png.js';
export { GLYPH_W, GLYPH_H, CAP_H, ADVANCE, glyph, hasGlyph, textWidth, textHeight } from './font.js';
export {
  PALETTE,
  COLORS,
  formatNumber,
  makeAxis,
  axisFraction,
  pickLegendCorner,
  type Axis,
  type Rect,
} from './axes.js';
export { linearTicks, logTicks, type Ticks } from './scale.js';
export { readFontMetrics, type FontMetrics } from './font-metrics.js';
export { svgRenderer, resetSvgRenderer, compositeOver, FONT_FILE, FONT_FAMILY, type SvgRenderer, type SvgPixels } from './svg-render.js';
export {
  boundsOf,
  fitBounds,
  makeTransform,
  type Bounds,
  type ScatterLayer,
  type ScatterOptions,
  type ScatterFrame,
} from './scatter-geometry.js';
export { drawScatterBitmap } from './scatter-bitmap.js';
export {
  scatterLayout,
  drawScatterPoints,
  drawScatter,
  scatterPng,
  scatterSvg,
  scatterPanelsPng,
  type ScatterPanel,
  type ScatterLayout,
  type ScatterPngOptions,
  type Tick,
} from './scatter.js';
export {
  curvesLayout,
  drawCurves,
  curvesPng,
  curvesSvg,
  type Series,
  type CurvesOptions,
  type CurvesLayout,
  type LayoutSeries,
  type TextItem,
} from './curves.js';
export { flowGif, type FlowGifOptions } from './gif.js';
export { renderReport, escapeHtml, type ReportOptions, type ReportSection, type ReportImage } from './report.js';
export { drawTexts, labelWidth, labelCapHeight, LABEL_FONT, type TextRun } from './text.js';
export { drawImage, imagePng, drawGrid, imageGridPng, imageFlowGif, type GridOptions } from './images.js';
