#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`dggf: internal error: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
