/** The parts of a V8 `.cpuprofile` (the inspector's Profiler.stop result) the summary reads. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  timeDeltas: number[];
}

/** One function's share of the profiled time. */
export interface FunctionCost {
  name: string;
  /** Where it is: a path shortened to the part after node_modules/ or dist/, and the line. */
  where: string;
  category: string;
  selfMs: number;
  /** Share of the busy (non-idle) time, 0..100. */
  selfPct: number;
  /** Time in the function and everything it called. */
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  threads: number;
  /** Busy time of each thread, by the label it was given. */
  busyByThread: { thread: string; busyMs: number }[];
  /** Wall time the profiles cover, summed over threads. */
  sampledMs: number;
  /** Of it, time the threads were idle (waiting for I/O). */
  idleMs: number;
  /**
   * The rest: sampled while not idle in the event loop. A thread blocked inside a call (a sync
   * write, a join) is busy here though it uses no CPU, so this is not CPU time.
   */
  busyMs: number;
  top: FunctionCost[];
  /** Self time by where the code comes from (a package, a Ladder folder, V8 itself). */
  categories: { category: string; selfMs: number; pct: number }[];
}

const V8_PSEUDO = new Set(['(program)', '(garbage collector)', '(idle)', '(root)']);

/**
 * Where each module starts in a webpack workflow bundle (from its `/***\/ "<path>"` headers), so
 * workflow code, which the profile only knows by bundle line, can be told by module.
 */
export interface BundleMap {
  /** The bundle's file name; profile frames whose URL ends with it are mapped. */
  fileName: string;
  /** 1-based first line of each module, ascending. */
  modules: { line: number; path: string }[];
}

/** Reads the module headers of a webpack bundle's text. Pure. */
export function bundleMap(fileName: string, text: string): BundleMap {
  const modules: BundleMap['modules'] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = /^\/\*{3}\/ "([^"]+)"/.exec(lines[i]);
    if (header) modules.push({ line: i + 1, path: header[1] });
  }
  return { fileName, modules };
}

/** The module of a bundle that line `line` (1-based) belongs to, if any. Pure. */
export function moduleAt(map: BundleMap, line: number): string | undefined {
  let found: string | undefined;
  for (const m of map.modules) {
    if (m.line > line) break;
    found = m.path;
  }
  return found;
}

/** A bundled module's group: its package, or Ladder's folder, marked as running inside workflows. Pure. */
function bundledCategory(modulePath: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(modulePath);
  if (pkg) return `${pkg[1]} (in workflows)`;
  const ladder = /^\.\/dist\/([^/]+)\//.exec(modulePath);
  if (ladder) return `ladder ${ladder[1]}/ (in workflows)`;
  return 'workflow bundle';
}

/** Where code comes from, for grouping: a package, a folder of Ladder's dist/, Node itself or V8. Pure. */
export function categoryOf(url: string, functionName: string): string {
  if (V8_PSEUDO.has(functionName)) return functionName;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const ladder = /\/dist\/([^/]+)\//.exec(url);
  if (ladder) return `ladder ${ladder[1]}/`;
  if (/workflow-bundle|webpack/.test(url)) return 'workflow bundle';
  return url.replace(/^.*\//, '');
}

function shortWhere(url: string, line: number): string {
  const short = url
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/dist\//, '')
    .replace(/^file:\/\//, '');
  return short === '' ? '' : `${short}:${line + 1}`;
}

/**
 * Self and total time per function over one or more thread profiles, the `topN` busiest by self
 * time, and self time by category. Time is the sampled wall time: each sample stands for the time
 * until the next one. Recursion counts once toward a function's total. Pure.
 */
export function summarizeProfiles(
  profiles: readonly CpuProfile[],
  topN = 30,
  labels: readonly string[] = profiles.map((_, i) => `thread ${i}`),
  bundle?: BundleMap,
): ProfileSummary {
  /** Category and place of a frame: by module when it is in the workflow bundle. */
  const place = (f: CpuProfile['nodes'][number]['callFrame']): { category: string; where: string } => {
    const module = bundle && f.url.endsWith(bundle.fileName) ? moduleAt(bundle, f.lineNumber + 1) : undefined;
    if (module)
      return {
        category: bundledCategory(module),
        where: `${module.replace(/^\.\/(node_modules\/|dist\/)?/, '')} (bundle line ${f.lineNumber + 1})`,
      };
    return { category: categoryOf(f.url, f.functionName), where: shortWhere(f.url, f.lineNumber) };
  };
  const self = new Map<string, { name: string; where: string; category: string; us: number }>();
  const total = new Map<string, number>();
  const busyByThread: { thread: string; busyMs: number }[] = [];
  let sampledUs = 0;
  let idleUs = 0;
  for (const [index, profile] of profiles.entries()) {
    const before = { sampledUs, idleUs };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const keyOf = (id: number): string => {
      const f = byId.get(id)!.callFrame;
      return `${f.functionName || '(anonymous)'}|${f.url}|${f.lineNumber}`;
    };
    const nodeSelfUs = new Map<number, number>();
    for (let i = 0; i < profile.samples.length; i++) {
      // A sample lasts until the next one; the last lasts until the profile's end.
      const next = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
      const us = Math.max(0, next);
      nodeSelfUs.set(profile.samples[i], (nodeSelfUs.get(profile.samples[i]) ?? 0) + us);
    }
    for (const [id, us] of nodeSelfUs) {
      const f = byId.get(id)?.callFrame;
      if (!f) continue;
      sampledUs += us;
      if (f.functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      const key = keyOf(id);
      const entry = self.get(key) ?? { name: f.functionName || '(anonymous)', ...place(f), us: 0 };
      entry.us += us;
      self.set(key, entry);
    }
    // Totals: a node's subtree time counts toward its function unless an ancestor is the same function.
    const root = profile.nodes[0];
    const active = new Map<string, number>();
    const walk = (id: number): number => {
      const node = byId.get(id);
      if (!node) return 0;
      const key = keyOf(id);
      active.set(key, (active.get(key) ?? 0) + 1);
      let us = nodeSelfUs.get(id) ?? 0;
      for (const child of node.children ?? []) us += walk(child);
      const depth = active.get(key)! - 1;
      if (depth === 0) active.delete(key);
      else active.set(key, depth);
      if (depth === 0 && node.callFrame.functionName !== '(idle)') total.set(key, (total.get(key) ?? 0) + us);
      return us;
    };
    if (root) walk(root.id);
    busyByThread.push({
      thread: labels[index] ?? `thread ${index}`,
      busyMs: (sampledUs - before.sampledUs - (idleUs - before.idleUs)) / 1000,
    });
  }
  const busyUs = sampledUs - idleUs;
  const pct = (us: number): number => (busyUs > 0 ? (100 * us) / busyUs : NaN);
  const top = [...self.entries()]
    .filter(([, e]) => e.name !== '(root)')
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, topN)
    .map(([key, e]) => ({
      name: e.name,
      where: e.where,
      category: e.category,
      selfMs: e.us / 1000,
      selfPct: pct(e.us),
      totalMs: (total.get(key) ?? e.us) / 1000,
      totalPct: pct(total.get(key) ?? e.us),
    }));
  const byCategory = new Map<string, number>();
  for (const e of self.values()) byCategory.set(e.category, (byCategory.get(e.category) ?? 0) + e.us);
  const categories = [...byCategory.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([category, us]) => ({ category, selfMs: us / 1000, pct: pct(us) }));
  return {
    threads: profiles.length,
    busyByThread,
    sampledMs: sampledUs / 1000,
    idleMs: idleUs / 1000,
    busyMs: busyUs / 1000,
    top,
    categories,
  };
}

/** The summary as plain text: the busiest functions, then time by category. Pure. */
export function formatProfileSummary(summary: ProfileSummary, title: string): string {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const pc = (v: number): string => `${v.toFixed(1)}%`;
  const lines = [
    title,
    `${summary.threads} thread(s), ${ms(summary.sampledMs)} sampled, ${ms(summary.busyMs)} busy (shares below are of busy time: samples not idle in the event loop, so a thread blocked inside a call counts as busy; not CPU time)`,
    `busy by thread: ${summary.busyByThread.map((t) => `${t.thread} ${ms(t.busyMs)}`).join(', ')}`,
    '',
    'self      self%   total    total%  function  (where; category)',
  ];
  for (const f of summary.top)
    lines.push(
      `${ms(f.selfMs).padStart(8)} ${pc(f.selfPct).padStart(6)} ${ms(f.totalMs).padStart(8)} ${pc(f.totalPct).padStart(6)}  ${f.name}  (${f.where || '-'}; ${f.category})`,
    );
  lines.push('', 'self time by category');
  for (const c of summary.categories.slice(0, 20))
    lines.push(`${ms(c.selfMs).padStart(8)} ${pc(c.pct).padStart(6)}  ${c.category}`);
  return `${lines.join('\n')}\n`;
}
