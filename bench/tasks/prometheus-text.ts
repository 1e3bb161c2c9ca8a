// Reading a Prometheus text exposition (what a `/metrics` endpoint returns): the dev server's
// counters (server-ops.ts) and the Slack app's ack histogram (ack-histogram.ts).

/** One sample line of an exposition. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * `name{a="x",b="y"} 12` → its name, labels and value; null for comments, blanks, anything else,
 * and a value that is not a finite number. Pure.
 */
export function parseSample(line: string): PrometheusSample | null {
  if (line.startsWith('#')) return null;
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
  if (!match) return null;
  const labels: Record<string, string> = {};
  for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    labels[pair[1]] = pair[2];
  const value = Number(match[3]);
  return Number.isFinite(value) ? { name: match[1], labels, value } : null;
}

/**
 * Reads an exposition from a metrics endpoint, giving up after 10 s.
 *
 * @throws Error naming the URL when the endpoint does not answer with 200.
 */
export async function fetchExposition(metricsUrl: string): Promise<string> {
  const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  return response.text();
}
