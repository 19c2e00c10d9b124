/** metrics.jsonl lines: one JSON object per logged iteration (no file access: the playground reads them too). */

export interface MetricsLine {
  iteration: number;
  loss: number;
  kl_estimate?: number;
  chi2_estimate?: number;
  lr: number;
  it_per_s: number;
  elapsed_s: number;
  /** resident memory now and its peak so far (MiB), engine tensor memory (MiB) and count */
  rss_mb?: number;
  peak_rss_mb?: number;
  engine_mb?: number;
  tensors?: number;
  [extra: string]: number | undefined;
}

/** The JSON objects of a metrics.jsonl text; blank lines and lines torn by a crash are skipped. */
export function parseMetricsLines(text: string): MetricsLine[] {
  const out: MetricsLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) out.push(value as MetricsLine);
    } catch {
      // a line torn by a crash: skip it
    }
  }
  return out;
}
