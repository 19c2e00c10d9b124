/**
 * Writes schema/config.schema.json, the JSON Schema of a `--config` file, from the zod schema
 * (dist/config/schema.js; run after tsc by `npm run build`). Config files reference it with
 * "$schema": "./node_modules/dggf/schema/config.schema.json" for completion in editors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { configJsonSchema } = await import(path.join(root, 'dist', 'config', 'schema.js'));
const file = path.join(root, 'schema', 'config.schema.json');
fs.mkdirSync(path.dirname(file), { recursive: true });
const text = JSON.stringify(configJsonSchema(), null, 2) + '\n';
if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== text) fs.writeFileSync(file, text);
console.log(`schema: ${path.relative(root, file)}`);
