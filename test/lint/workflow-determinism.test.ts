import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

// The determinism rules for workflows/ are only worth something if they fire: lint probe code as if
// it lived at a path (eslint --stdin-filename) and check what is reported. ESLint runs as a real
// process because it loads its flat config through dynamic import, which jest's VM does not allow.
const ROOT = resolve(__dirname, '..', '..');
const ESLINT = resolve(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface LintMessage {
  ruleId: string | null;
  line: number;
  message: string;
}

function lintAs(path: string, code: string): LintMessage[] {
  const run = spawnSync(process.execPath, [ESLINT, '--stdin', '--stdin-filename', path, '--format', 'json'], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
  });
  if (run.stdout.trim() === '') throw new Error(`eslint printed nothing (exit ${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as { messages: LintMessage[] }[])[0].messages;
}

describe('eslint determinism rules for workflows/', () => {
  // The probe borrows an existing workflow file's path so the type-aware parser accepts it.
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

  it('reports Node built-ins, activity values, process.env, wall clock and Math.random, line by line', () => {
    const messages = lintAs('workflows/self-check.ts', forbidden);
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
    const allowed = [
      "import { proxyActivities } from '@temporalio/workflow';",
      "import type { LadderActivities } from '../activities';",
      "export const acts = proxyActivities<LadderActivities>({ startToCloseTimeout: '1 minute' });",
      '',
    ].join('\n');
    expect(lintAs('workflows/self-check.ts', allowed)).toEqual([]);
  });

  it('leaves code outside workflows/ free to do I/O', () => {
    const code =
      "import { hostname } from 'node:os';\nexport const h = [hostname(), process.env.HOME, Date.now()];\n";
    expect(lintAs('activities/self-check.ts', code)).toEqual([]);
  });
});
