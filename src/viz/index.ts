/** Pictures for 2-D generative-model runs: PNG scatter plots and curves, flow GIFs, HTML report. */
export { Raster, type RGB } from './raster.js';
export { encodePng } from './png.js';
export { GLYPH_W, GLYPH_H, CAP_H, ADVANCE, glyph, hasGlyph, textWidth, textHeight } from './font.js';
export {
  PALETTE,
  COLORS,
  niceNum,
  linearTicks,
  logTicks,
  formatTicks,
  formatLogTicks,
  formatNumber,
  makeAxis,
  axisFraction,
  pickLegendCorner,
  type Axis,
  type Rect,
} from './axes.js';
export {
  boundsOf,
  fitBounds,
  makeTransform,
  drawScatter,
  scatterPng,
  type Bounds,
  type ScatterLayer,
  type ScatterOptions,
  type ScatterFrame,
  type ScatterPngOptions,
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
export { drawImage, imagePng, drawGrid, imageGridPng, imageFlowGif, type GridOptions } from './images.js';
