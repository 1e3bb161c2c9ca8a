import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, loadConfig, unknownVariableWarning } from '../../config/env';
import {
  editDistance,
  KNOWN_LADDER_PREFIXES,
  KNOWN_LADDER_VARIABLES,
  unknownLadderVariables,
} from '../../config/known-env';
import { problemsFor } from '../helpers/config';

const ROOT = resolve(__dirname, '..', '..');

/** Folders that hold no source: dependencies, build output, local state, coverage, bench output. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.temporal', 'coverage', 'results']);

/** Files that can name a variable: code, shell, docs, deployment files, templates, CI. */
const SCANNED_FILE = /(\.(ts|sh|mjs|js|md|ya?ml|tmpl|service|example)|\/Dockerfile|\/\.ci\/run)$/;

/**
 * Files left out of the scan: the list itself (else every entry would occur) and this test, whose
 * misspellings are on purpose.
 */
const UNSCANNED = new Set(['config/known-env.ts', 'test/config/known-env.test.ts']);

/**
 * `LADDER_…` words in the sources that are not environment variables: constants named after
 * Ladder, and a misspelling another test checks on purpose. Each must still occur.
 */
const NOT_VARIABLES: Record<string, string> = {
  LADDER_ACTIONS: 'slack/action-ids.ts: the Slack action names',
  LADDER_TOOLS: 'mcp/tools.ts: the MCP tool list',
  LADDER_SEARCH_ATTRIBUTES: 'workflows/search-attributes.ts: the search attribute list',
  LADDER_DYNAMIC_CONFIG: "scripts/temporal-dynamic-config.ts: the dev server's dynamic config",
  LADDER_TASK_WORKFLOW: "bench/tasks/batches.ts: the task workflow's type",
  LADDER_BIN: 'test/helpers/cli.ts: the built CLI',
  LADDER_VARS: 'test/corpus/env.test.ts: the variables it saves',
  LADDER_WORKER_METRIC_PORT: 'test/docs/deploy-guide.test.ts: a misspelling it must report',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sourceFiles(path);
    const rel = relative(ROOT, path);
    return entry.isFile() && SCANNED_FILE.test(`/${rel}`) && !UNSCANNED.has(rel) ? [path] : [];
  });
}

/**
 * Every `LADDER_…` word in the sources, with a file it is in. A word that ends in `_` is a prefix
 * (`LADDER_SECRET_…`, `LADDER_CLUSTER_$(…)_PORT`); one inside a longer identifier
 * (`UNKNOWN_LADDER_ID`, `__LADDER_DEV_SERVER__`) is not a variable and is not matched.
 */
function namesIn(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files)
    for (const [name] of readFileSync(file, 'utf8').matchAll(/(?<![A-Za-z0-9_])LADDER_[A-Z0-9_]+/g))
      if (!found.has(name)) found.set(name, relative(ROOT, file));
  return found;
}

const known: readonly string[] = KNOWN_LADDER_VARIABLES;
const isKnown = (name: string): boolean =>
  known.includes(name) || KNOWN_LADDER_PREFIXES.some((prefix) => name.startsWith(prefix));

describe('the list of known LADDER_ variables (config/known-env.ts)', () => {
  const files = sourceFiles(ROOT);
  const found = namesIn(files);

  it('finds the names it checks (the scan itself works)', () => {
    expect(found.size).toBeGreaterThanOrEqual(60);
    expect(found.get('LADDER_RETENTION_DAYS')).toBeDefined();
    // A shell script, a deployment file and CI's script are scanned as well as TypeScript.
    expect(files.map((file) => relative(ROOT, file))).toEqual(
      expect.arrayContaining(['scripts/cluster/ports.sh', 'deploy/systemd/ladder.env.example', '.ci/run']),
    );
  });

  it('lists every LADDER_ variable the sources name (add a new one to KNOWN_LADDER_VARIABLES)', () => {
    const unlisted = [...found]
      .filter(([name]) => !name.endsWith('_') && !isKnown(name) && !(name in NOT_VARIABLES))
      .map(([name, file]) => `${name} (in ${file})`);
    expect(unlisted).toEqual([]);
  });

  it('lists only names the sources still mention (no dead entries)', () => {
    expect(known.filter((name) => !found.has(name))).toEqual([]);
    expect(KNOWN_LADDER_PREFIXES.filter((prefix) => !found.has(prefix))).toEqual([]);
    expect(Object.keys(NOT_VARIABLES).filter((name) => !found.has(name) || isKnown(name))).toEqual([]);
  });

  it('has a known name under every prefix the sources mention (LADDER_CLUSTER_…, LADDER_TEST_…)', () => {
    const prefixes = [...found.keys()].filter((name) => name.endsWith('_'));
    expect(prefixes.length).toBeGreaterThan(0);
    expect(
      prefixes.filter((prefix) => !known.some((name) => name.startsWith(prefix)) && !isKnown(prefix)),
    ).toEqual([]);
  });

  it('holds each name once, spelt as a variable', () => {
    expect(new Set(known).size).toBe(known.length);
    for (const name of known) expect(name).toMatch(/^LADDER_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });
});

describe('unknownLadderVariables', () => {
  it('accepts every known name, and any name under the secret prefix', () => {
    const env = Object.fromEntries(known.map((name) => [name, 'x']));
    expect(
      unknownLadderVariables({ ...env, LADDER_SECRET_GITHUB: 'x', LADDER_SECRET_DEMO_DEPLY: 'x' }),
    ).toEqual([]);
  });

  it('ignores empty values and names without the LADDER_ prefix', () => {
    expect(
      unknownLadderVariables({ LADDER_RETENTON_DAYS: '', ladder_retenton_days: '90', MY_LADDER_X: '1' }),
    ).toEqual([]);
  });

  it.each([
    ['LADDER_RETENTON_DAYS', 'LADDER_RETENTION_DAYS'], // a letter left out
    ['LADDER_RETENTOIN_DAYS', 'LADDER_RETENTION_DAYS'], // two letters swapped
    ['LADDER_WORKER_CACHED_WORKFLWS', 'LADDER_WORKER_CACHED_WORKFLOWS'],
    ['LADDER_WORKER_CACHED_WORKFLOW', 'LADDER_WORKER_CACHED_WORKFLOWS'],
    ['LADDER_DAYS_RETENTION', 'LADDER_RETENTION_DAYS'], // words reordered
    ['LADDER_WORKER_RETENTION_DAYS', 'LADDER_RETENTION_DAYS'], // a word added
    ['LADDER_CACHED_WORKFLOWS', 'LADDER_WORKER_CACHED_WORKFLOWS'], // a word left out
    ['LADDER_LOG_LEVEL', 'LOG_LEVEL'], // a variable without the prefix
    ['LADDER_TEMPORAL_ADDRESS', 'TEMPORAL_ADDRESS'],
  ])('takes %s for a misspelling of %s', (name, nearest) => {
    expect(unknownLadderVariables({ [name]: '1' }, ['LOG_LEVEL', 'TEMPORAL_ADDRESS'])).toEqual([
      { name, nearest },
    ]);
  });

  it('reports names near no known one without a suggestion, sorted', () => {
    // LADDER_PORT is a word short of several names: too little left to call it a misspelling.
    expect(
      unknownLadderVariables({ LADDER_PORT: '1', LADDER_FOO_BAR_BAZ_QUUX: '1', LADDER_HOME: '/x' }),
    ).toEqual([{ name: 'LADDER_FOO_BAR_BAZ_QUUX' }, { name: 'LADDER_HOME' }, { name: 'LADDER_PORT' }]);
  });
});

describe('editDistance (Damerau-Levenshtein, optimal string alignment)', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', 'abc', 0],
    ['abc', 'abd', 1], // substitution
    ['abc', 'ab', 1], // deletion
    ['ab', 'acb', 1], // insertion
    ['ab', 'ba', 1], // transposition
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3], // no substring edited twice
  ])('%j to %j is %i, both ways', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('loadConfig and LADDER_ variables it does not read', () => {
  it('refuses a near miss, naming the variable it meant and not showing the value', () => {
    const problems = problemsFor({ LADDER_RETENTON_DAYS: 'xoxb-secret-90' });
    expect(problems).toEqual([
      'LADDER_RETENTON_DAYS is not a Ladder variable (did you mean LADDER_RETENTION_DAYS?); it would be ignored',
    ]);
    expect(problems.join('\n')).not.toContain('secret-90');
  });

  it('lists a near miss with the wrong values, each on its line', () => {
    expect(problemsFor({ LADDER_WORKER_CACHED_WORKFLWS: '0', LADDER_SLACK_PORT: 'x' })).toEqual([
      'LADDER_WORKER_CACHED_WORKFLWS is not a Ladder variable (did you mean LADDER_WORKER_CACHED_WORKFLOWS?); it would be ignored',
      'LADDER_SLACK_PORT: expected a port number from 1 to 65535, got "x"',
    ]);
  });

  it('suggests a variable of its own without the prefix (LOG_LEVEL)', () => {
    expect(problemsFor({ LADDER_LOG_LEVEL: 'error' })).toEqual([
      'LADDER_LOG_LEVEL is not a Ladder variable (did you mean LOG_LEVEL?); it would be ignored',
    ]);
  });

  it('only reports an unrelated name, for one warning line without the value', () => {
    const config = loadConfig({ LADDER_FOO_BAR_BAZ_QUUX: 'hunter2' });
    expect(config.unknownVariables).toEqual(['LADDER_FOO_BAR_BAZ_QUUX']);
    expect(unknownVariableWarning('LADDER_FOO_BAR_BAZ_QUUX')).toBe(
      'LADDER_FOO_BAR_BAZ_QUUX is not a Ladder variable; it is ignored',
    );
  });

  it('has no unknownVariables when every LADDER_ name is known or empty', () => {
    expect(loadConfig({}).unknownVariables).toBeUndefined();
    expect(loadConfig({ LADDER_RETENTON_DAYS: '', LADDER_SECRET_GITHUB: 'x' })).not.toHaveProperty(
      'unknownVariables',
    );
  });

  it.each(known)('never calls %s unknown', (name) => {
    // A value the schema may refuse for this variable, but never as "not a Ladder variable".
    try {
      expect(loadConfig({ [name]: 'x' }).unknownVariables).toBeUndefined();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      expect(err.problems.filter((p) => p.includes('not a Ladder variable'))).toEqual([]);
    }
  });
});
