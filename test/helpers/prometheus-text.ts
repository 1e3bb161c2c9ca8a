// A strict reader of the Prometheus text exposition format 0.0.4, for tests that scrape `/metrics`.
// prom-client writes the format but has no reader, and the npm readers are unmaintained; this one
// refuses anything a Prometheus server would refuse (and a little more), naming the line.

/** One sample line: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples, in the order they came. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | undefined;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Thrown for text that is not valid exposition format; the message names the line. */
export class ExpositionError extends Error {}

/**
 * Parses exposition text into families keyed by name. Checks: metric and label names, quoted and
 * escaped label values, numeric values (`+Inf`, `-Inf`, `NaN` included), at most one TYPE and HELP
 * per family and TYPE before its samples, each family's lines together, no series twice, and for
 * histograms cumulative buckets with `le="+Inf"` equal to `_count`.
 *
 * @throws {ExpositionError} at the first problem, e.g. `line 7: duplicate series x_total{a="1"}`.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: Family | undefined;
  const lines = text.split('\n');
  const enter = (name: string, at: number): Family => {
    if (current?.name === name) return current;
    if (closed.has(name) || families.has(name))
      throw new ExpositionError(`line ${at}: family ${name} is split`);
    if (current) closed.add(current.name);
    current = { name, type: 'untyped', help: undefined, samples: [] };
    families.set(name, current);
    return current;
  };
  lines.forEach((raw, index) => {
    const at = index + 1;
    const line = raw.trimEnd();
    if (line === '') return;
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) return; // a plain comment
      const [, keyword, name, rest = ''] = meta;
      if (!NAME.test(name)) throw new ExpositionError(`line ${at}: bad metric name ${name}`);
      const family = enter(name, at);
      if (keyword === 'TYPE') {
        if (!TYPES.has(rest)) throw new ExpositionError(`line ${at}: unknown type ${rest}`);
        if (family.samples.length > 0 || family.type !== 'untyped')
          throw new ExpositionError(`line ${at}: TYPE of ${name} after its samples or twice`);
        family.type = rest as Family['type'];
      } else {
        if (family.help !== undefined) throw new ExpositionError(`line ${at}: HELP of ${name} twice`);
        family.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
      return;
    }
    const sample = parseSample(line, at);
    const family = enter(familyOf(sample.name, current), at);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(key)) throw new ExpositionError(`line ${at}: duplicate series ${line}`);
    series.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The family a sample belongs to: the current one when its name is the family's or a suffix of it. */
function familyOf(sampleName: string, current: Family | undefined): string {
  if (!current) return sampleName;
  const suffixes =
    current.type === 'histogram'
      ? ['_bucket', '_sum', '_count']
      : current.type === 'summary'
        ? ['', '_sum', '_count']
        : [''];
  return suffixes.some((s) => sampleName === current.name + s) ? current.name : sampleName;
}

function parseSample(line: string, at: number): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) throw new ExpositionError(`line ${at}: no metric name in ${line}`);
  const name = head[1];
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    for (;;) {
      rest = rest.trimStart();
      if (rest.startsWith('}')) {
        rest = rest.slice(1);
        break;
      }
      const label = /^([^=\s]+)\s*=\s*"/.exec(rest);
      if (!label || !LABEL_NAME.test(label[1])) throw new ExpositionError(`line ${at}: bad label in ${line}`);
      rest = rest.slice(label[0].length);
      let value = '';
      for (;;) {
        const c = rest[0];
        if (c === undefined) throw new ExpositionError(`line ${at}: unterminated label value in ${line}`);
        rest = rest.slice(1);
        if (c === '"') break;
        if (c === '\\') {
          const escaped = rest[0];
          rest = rest.slice(1);
          if (escaped === 'n') value += '\n';
          else if (escaped === '\\' || escaped === '"') value += escaped;
          else throw new ExpositionError(`line ${at}: bad escape \\${escaped} in ${line}`);
        } else value += c;
      }
      if (label[1] in labels) throw new ExpositionError(`line ${at}: label ${label[1]} twice in ${line}`);
      labels[label[1]] = value;
      rest = rest.trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new ExpositionError(`line ${at}: expected , or } in ${line}`);
    }
  }
  const parts = rest.trim().split(/\s+/);
  if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2)
    throw new ExpositionError(`line ${at}: expected a value (and maybe a timestamp) in ${line}`);
  const value = parseValue(parts[0]);
  if (value === undefined) throw new ExpositionError(`line ${at}: bad value ${parts[0]} in ${line}`);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1]))
    throw new ExpositionError(`line ${at}: bad timestamp ${parts[1]} in ${line}`);
  return { name, labels, value };
}

/** A value as Prometheus reads it (Go's ParseFloat): special values in any case (prom-client writes `Nan`). */
function parseValue(text: string): number | undefined {
  const special = /^([-+]?)(inf|infinity|nan)$/i.exec(text);
  if (special) {
    if (special[2].toLowerCase() === 'nan') return special[1] === '' ? NaN : undefined;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Buckets cumulative per series, each series ending in `le="+Inf"` equal to its `_count`. */
function checkHistogram(family: Family): void {
  const bySeries = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = bySeries.get(key) ?? { buckets: [] };
    bySeries.set(key, entry);
    if (s.name === `${family.name}_bucket`) {
      const bound = le === undefined ? undefined : parseValue(le);
      if (bound === undefined) throw new ExpositionError(`${family.name}: a bucket without a valid le`);
      entry.buckets.push([bound, s.value]);
    } else if (s.name === `${family.name}_count`) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of bySeries) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i][1] < sorted[i - 1][1])
        throw new ExpositionError(`${family.name}${key}: buckets are not cumulative`);
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity || inf[1] !== count)
      throw new ExpositionError(`${family.name}${key}: le="+Inf" bucket missing or not equal to _count`);
  }
}

/**
 * The value of the one sample of `name` whose labels are exactly `labels`, or 0 when there is
 * none (a counter never incremented has no series).
 *
 * @throws when `name` belongs to no family in `families`.
 */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? undefined;
  if (!family) throw new Error(`no metric family for ${name}`);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = family.samples.find(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted,
  );
  return found?.value ?? 0;
}

/**
 * Scrapes `url` (a `/metrics` endpoint) and parses the answer strictly.
 *
 * @throws when the answer is not 200 with the text format's content type, or does not parse.
 */
export async function scrape(url: string): Promise<Map<string, Family>> {
  const response = await fetch(url);
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || !type.startsWith('text/plain; version=0.0.4'))
    throw new Error(`${url} answered ${response.status} (${type}): ${await response.text()}`);
  return parsePrometheusText(await response.text());
}
