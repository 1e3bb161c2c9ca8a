import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The determinism rules for workflows/ are only worth something if they fire: lint probe code as if
// it lived at a path (ESLint's lintText with a filePath) and check what is reported. ESLint runs as a
// real process because it loads its flat config through dynamic import, which jest's VM does not
// allow; one process lints every probe, since starting the type-aware parser costs seconds each time.
const ROOT = resolve(__dirname, '..', '..');

interface LintMessage {
  ruleId: string | null;
  line: number;
  message: string;
}

/** Lints each probe's code as if it were the file at its path; one message list per probe. */
function lintAll(probes: { path: string; code: string }[]): LintMessage[][] {
  const script = `
    const { ESLint } = require('eslint');
    let input = '';
    process.stdin.on('data', (d) => (input += d)).on('end', async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const p of JSON.parse(input)) out.push((await eslint.lintText(p.code, { filePath: p.path }))[0].messages);
      process.stdout.write(JSON.stringify(out));
    });`;
  const run = spawnSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    input: JSON.stringify(probes),
    encoding: 'utf8',
  });
  if (run.stdout.trim() === '') throw new Error(`eslint printed nothing (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as LintMessage[][];
}

describe('eslint determinism rules for workflows/', () => {
  // The probes borrow existing files' paths so the type-aware parser accepts them.
  const forbidden = [
    "import { readFileSync } from 'fs';",
    "import { hostname } from 'node:os';",
    "import { createActivities } from '../activities';",
    'export const all = [readFileSync, hostname, createActivities];',
    'export const env = process.env.HOME;',
    'export const now = Date.now();',
    'export const date = new Date();',
    'export const r = Math.random();',
    '',
  ].join('\n');
  const allowed = [
    "import { proxyActivities } from '@temporalio/workflow';",
    "import type { LadderActivities } from '../activities';",
    "export const acts = proxyActivities<LadderActivities>({ startToCloseTimeout: '1 minute' });",
    '',
  ].join('\n');
  const outside =
    "import { hostname } from 'node:os';\nexport const h = [hostname(), process.env.HOME, Date.now()];\n";
  let linted: LintMessage[][];
  beforeAll(() => {
    linted = lintAll([
      { path: 'workflows/self-check.ts', code: forbidden },
      { path: 'workflows/self-check.ts', code: allowed },
      { path: 'activities/self-check.ts', code: outside },
    ]);
  });

  it('reports Node built-ins, activity values, process.env, wall clock and Math.random, line by line', () => {
    const messages = linted[0];
    const byLine = (line: number): string[] =>
      messages.filter((m) => m.line === line).map((m) => m.ruleId ?? '');
    expect(byLine(1)).toContain('@typescript-eslint/no-restricted-imports');
    expect(byLine(2)).toContain('@typescript-eslint/no-restricted-imports');
    expect(byLine(3)).toContain('@typescript-eslint/no-restricted-imports');
    expect(byLine(5)).toContain('no-restricted-properties');
    expect(byLine(6)).toContain('no-restricted-properties');
    expect(byLine(7)).toContain('no-restricted-syntax');
    expect(byLine(8)).toContain('no-restricted-properties');
    expect(messages.find((m) => m.line === 1)?.message).toMatch(/workflows\/ must stay deterministic/);
  });

  it('allows activity types and workflow APIs in workflows/', () => {
    expect(linted[1]).toEqual([]);
  });

  it('leaves code outside workflows/ free to do I/O', () => {
    expect(linted[2]).toEqual([]);
  });
});
