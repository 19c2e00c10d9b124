/** bench/RESULTS.md is a list of `## ` sections; each benchmark replaces its own. */
import fs from 'node:fs';

const HEADER = '# Benchmark results\n\nWritten by `npm run bench` (bench/run.ts) and `npm run eval:mnist`; each run replaces the section of its workload.\n\n';

/** Replaces the section whose heading starts with `marker` (or appends it). */
export function replaceSection(file: string, marker: string, section: string): void {
  let body = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : HEADER;
  const start = body.indexOf(marker);
  if (start >= 0) {
    const next = body.indexOf('\n## ', start + marker.length);
    body = body.slice(0, start) + section.trimEnd() + '\n\n' + (next >= 0 ? body.slice(next + 1) : '');
  } else {
    body = body.trimEnd() + '\n\n' + section;
  }
  fs.writeFileSync(file, body.trimEnd() + '\n');
}
