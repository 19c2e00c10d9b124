/**
 * Builds examples/browser/ as an app that installed dggf would be: copied into a temporary
 * folder whose node_modules/dggf links to this package, so that `import 'dggf'` resolves
 * through package.json's `exports` (the `browser` condition), not through an alias. The
 * build fails when anything in the bundle imports a Node built-in that its package does not
 * map away for browsers (package.json `browser` field), and reports the packages bundled.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { build, type Plugin, type Rollup } from 'vite';
import { ROOT } from './cli.js';

const isBuiltin = (id: string): boolean => id.startsWith('node:') || builtinModules.includes(id.split('/')[0]);

/** The package.json above `file`, parsed, with its folder. */
function packageOf(file: string): { dir: string; json: { name?: string; browser?: unknown } } | null {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) return { dir, json: JSON.parse(fs.readFileSync(p, 'utf8')) };
  }
  return null;
}

/** Errors on a Node built-in unless the importer's package maps it to `false` for browsers. */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'no-node-builtins',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!isBuiltin(source) || !importer) return null;
      const browser = packageOf(importer)?.json.browser;
      const mapped = typeof browser === 'object' && browser !== null ? (browser as Record<string, unknown>) : {};
      if (mapped[source] === false || mapped[source.replace(/^node:/, '')] === false) return null;
      this.error(`${path.relative(ROOT, importer)} imports '${source}', a Node built-in: not allowed in the browser build`);
    },
  };
}

/** The real path of a bundled module's file (null for virtual modules). */
function moduleFile(id: string): string | null {
  const file = id.replace(/^\0/, '').split('?')[0];
  return path.isAbsolute(file) && fs.existsSync(file) ? fs.realpathSync(file) : null;
}

export interface BuiltApp {
  /** The built static site (index.html + assets/). */
  outDir: string;
  /** Bundled modules by package: dggf's are dist/… paths relative to the package root. */
  modules: Map<string, string[]>;
}

export async function buildExampleApp(work: string): Promise<BuiltApp> {
  const app = path.join(work, 'app');
  fs.mkdirSync(path.join(app, 'node_modules'), { recursive: true });
  for (const f of ['index.html', 'main.ts']) fs.copyFileSync(path.join(ROOT, 'examples', 'browser', f), path.join(app, f));
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'dggf-browser-example', private: true, type: 'module' }));
  fs.symlinkSync(ROOT, path.join(app, 'node_modules', 'dggf'), 'dir');
  const outDir = path.join(work, 'site');
  const modules = new Map<string, string[]>();
  const record: Plugin = {
    name: 'record-modules',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        for (const id of Object.keys((chunk as Rollup.OutputChunk).modules)) {
          const file = moduleFile(id);
          const name = file ? (packageOf(file)?.json.name ?? '?') : `virtual:${id.replace(/^\0/, '')}`;
          const list = modules.get(name) ?? [];
          list.push(file && name === 'dggf' ? path.relative(ROOT, file) : id);
          modules.set(name, list);
        }
      }
    },
  };
  await build({
    root: app,
    base: './',
    configFile: false,
    logLevel: 'warn',
    plugins: [noNodeBuiltins(), record],
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 4000 },
  });
  return { outDir, modules };
}
