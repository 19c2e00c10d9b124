/**
 * Builds the playground into dist/web/ (a static folder: relative URLs, so it works from any
 * path of any static host, and from `dggf playground`).
 *
 * The page bundles the library's own modules (src/flow, src/train/trainer, src/nets, …), with
 * three substitutions made by the `dggf-browser` plugin below, so that no Node built-in is
 * bundled:
 *   src/engine/index.ts        → src/engine/browser.ts   (browser backends: WebGPU/WebGL/wasm/cpu)
 *   src/engine/tfjs/parallel/pool.ts → web/src/shims/flow-pool.ts (no worker threads: main-thread flow)
 *   node:fs in src/data/csv.ts → web/src/shims/node-fs.ts  (the page parses CSV text, reads no files)
 * Any other node: import reached from src/ fails the build, naming the importer.
 */
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const WEB = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(WEB, '..');
const SRC = path.join(ROOT, 'src');
const WEBGPU_MODULE = 'virtual:dggf-webgpu';

const SUBSTITUTES = new Map<string, string>([
  [path.join(SRC, 'engine', 'index.ts'), path.join(SRC, 'engine', 'browser.ts')],
  [path.join(SRC, 'engine', 'tfjs', 'parallel', 'pool.ts'), path.join(WEB, 'src', 'shims', 'flow-pool.ts')],
]);
const NODE_FS_SHIM = path.join(WEB, 'src', 'shims', 'node-fs.ts');

function isBuiltin(id: string): boolean {
  return id.startsWith('node:') || builtinModules.includes(id);
}

function webgpuInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-webgpu');
    return true;
  } catch {
    return false;
  }
}

function dggfBrowser(): Plugin {
  return {
    name: 'dggf-browser',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (source === WEBGPU_MODULE) return '\0' + WEBGPU_MODULE;
      const fromSrc = importer !== undefined && path.resolve(importer).startsWith(SRC + path.sep);
      if (fromSrc && isBuiltin(source)) {
        const bare = source.replace(/^node:/, '');
        if (bare === 'fs' && path.resolve(importer!) === path.join(SRC, 'data', 'csv.ts')) return NODE_FS_SHIM;
        this.error(`${path.relative(ROOT, importer!)} imports '${source}': the page may bundle only browser-safe modules (see web/vite.config.ts)`);
      }
      if (!source.startsWith('.') || !importer) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      if (!resolved) return null;
      const substitute = SUBSTITUTES.get(path.resolve(resolved.id));
      return substitute ?? resolved;
    },
    load(id) {
      if (id !== '\0' + WEBGPU_MODULE) return null;
      return webgpuInstalled()
        ? "import '@tensorflow/tfjs-backend-webgpu';\nexport const WEBGPU_BUNDLED = true;\n"
        : 'export const WEBGPU_BUNDLED = false;\n';
    },
  };
}

export default defineConfig({
  root: WEB,
  base: './',
  plugins: [dggfBrowser()],
  worker: { format: 'es', plugins: () => [dggfBrowser()] },
  build: {
    outDir: path.join(ROOT, 'dist', 'web'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
  },
  server: { fs: { allow: [ROOT] } },
});
