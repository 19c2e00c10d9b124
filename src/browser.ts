/**
 * dggf in a web page (the package's `browser` export; `import … from 'dggf'` in a bundler
 * that targets browsers, or `dggf/browser`): loads a `dggf export --format tfjs` folder and
 * samples from it with TF.js. No Node module is reachable from here
 * (test/unit/browser-entry.test.ts walks the imports). Training, the CLI and the ONNX engine
 * are Node-only: see dist/index.js. docs/browser.md has a tour.
 */
export { tf } from './engine/tf-browser.js';
export { ExportedFlow, loadExportedFlow } from './exported/flow.js';
export type { ExportSampleOptions, ExportSamples } from './exported/flow.js';
export { ExportReadError, parseManifest } from './exported/manifest.js';
export type { ExportManifest, ExportedPrior, BinaryArray } from './exported/manifest.js';
export { urlReader, filesReader } from './exported/sources.js';
export type { ExportReader, ExportSource, NamedBlob } from './exported/sources.js';
export { sampleRgba } from './exported/images.js';
export { seededNormals } from './exported/seeded-normals.js';
export type { SeededNormals } from './exported/seeded-normals.js';
export { drawPrior, priorValues } from './exported/prior.js';
