import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadApiConfig } from '../../api/config';
import { loadConfig } from '../../config/env';
import { loadDashboardEnv } from '../../dashboard/env';
import { SECRET_ENV_PREFIX } from '../../policy/credentials-schema';
import { LADDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// The deployment guide and the files in deploy/ name environment variables, entry points and search
// attributes that operators copy as they are. A misspelled name in them would at best stop start-up
// as a near miss (config/known-env.ts) and at worst be ignored with a warning, so these checks tie
// every name back to the code.

const ROOT = resolve(__dirname, '..', '..');
const GUIDE = join(ROOT, 'docs', 'deploy.md');
const DEPLOY = join(ROOT, 'deploy');

/** Folders of the code that reads the environment (not tests, docs or build output). */
const SOURCE_DIRS = [
  'activities',
  'api',
  'cli',
  'client',
  'config',
  'dashboard',
  'mcp',
  'observability',
  'policy',
  'scripts',
  'slack',
  'worker',
  'workflows',
];
const SOURCE_FILE = /\.(ts|sh|tmpl|yaml)$/;

function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, keep);
    return keep(path) ? [path] : [];
  });
}

/** Every variable-shaped name in `text`: `LADDER_…`, `TEMPORAL_…`, `SLACK_…`; a trailing `_` marks a prefix. */
function envNamesIn(text: string): Set<string> {
  return new Set(text.match(/\b(?:LADDER|TEMPORAL|SLACK)_[A-Z0-9_]+/g) ?? []);
}

/**
 * The names among `names` that appear nowhere in `sources` as a whole word. A name under the
 * policy's secret prefix (`LADDER_SECRET_…`) is the operator's to choose, so only the prefix must exist.
 */
function unknownNames(names: Iterable<string>, sources: string): string[] {
  const known = (name: string): boolean =>
    new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).test(sources);
  return [...names].filter((name) => !known(name.startsWith(SECRET_ENV_PREFIX) ? SECRET_ENV_PREFIX : name));
}

const sources = SOURCE_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir), (p) => SOURCE_FILE.test(p)))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');
const guide = readFileSync(GUIDE, 'utf8');
const deployFiles = filesUnder(DEPLOY, () => true);
const deployText = (name: string): string => readFileSync(join(DEPLOY, name), 'utf8');

/** `KEY=value` lines of an env file (comments and blanks skipped), as systemd and compose read them. */
function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  return env;
}

/** A unit's `Environment=NAME=value` settings, with `%d` as systemd expands it for `unit`. */
function unitEnvironment(unit: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of deployText(join('systemd', unit)).split('\n')) {
    const match = /^Environment=([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2].replace(/%d/g, `/run/credentials/${unit}`);
  }
  return env;
}

describe('deployment guide and deploy/ files', () => {
  it('finds the names it checks (the extraction itself works)', () => {
    expect(envNamesIn(guide).size).toBeGreaterThanOrEqual(25);
    const inDeploy = envNamesIn(deployFiles.map((f) => readFileSync(f, 'utf8')).join('\n'));
    expect(inDeploy.size).toBeGreaterThanOrEqual(25);
    expect(deployFiles.map((f) => relative(DEPLOY, f)).sort()).toEqual(
      expect.arrayContaining([
        'container/Dockerfile',
        'container/compose.yaml',
        'systemd/ladder-worker.service',
        'systemd/ladder-slack.service',
        'systemd/ladder-api.service',
        'systemd/ladder-dashboard.service',
        'systemd/ladder.env.example',
      ]),
    );
  });

  it('reports a misspelled name and accepts real ones (the check can fail)', () => {
    expect(
      unknownNames(['LADDER_WORKER_METRIC_PORT', 'TEMPORAL_TLS_CERT', 'SLACK_BOT_TOKENS'], sources),
    ).toEqual(['LADDER_WORKER_METRIC_PORT', 'TEMPORAL_TLS_CERT', 'SLACK_BOT_TOKENS']);
    expect(
      unknownNames(['LADDER_WORKER_METRICS_PORT', 'TEMPORAL_TLS_CERT_PATH', 'LADDER_SECRET_GITHUB'], sources),
    ).toEqual([]);
  });

  it('names only variables the code reads, in docs/deploy.md', () => {
    expect(unknownNames(envNamesIn(guide), sources)).toEqual([]);
  });

  it.each(deployFiles.map((f) => relative(DEPLOY, f)))(
    'names only variables the code reads, in deploy/%s',
    (file) => {
      expect(unknownNames(envNamesIn(deployText(file)), sources)).toEqual([]);
    },
  );

  it('starts only entry points that exist in the source tree', () => {
    const texts = [guide, ...deployFiles.map((f) => readFileSync(f, 'utf8'))].join('\n');
    const scripts = new Set(texts.match(/dist\/[A-Za-z0-9/_-]+\.js/g) ?? []);
    expect(scripts).toContain('dist/worker/main.js');
    expect(scripts).toContain('dist/slack/main.js');
    expect(scripts).toContain('dist/api/main.js');
    expect(scripts).toContain('dist/cli/main.js');
    const bundleScript = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { bundle: string } }
    ).scripts.bundle;
    const missing = [...scripts].filter((script) => {
      // The workflow bundle is built by `npm run bundle`, not compiled from one source file.
      if (script === 'dist/workflow-bundle.js') return !bundleScript.includes(script);
      return !existsSync(join(ROOT, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
    });
    expect(missing).toEqual([]);
  });

  it('lists the search attributes the code sets, with their types, for Temporal Cloud', () => {
    const listed = [...guide.matchAll(/--search-attribute "?([A-Za-z]+)=([A-Za-z]+)"?/g)].map(
      ([, name, type]) => `${name}=${type}`,
    );
    // tcld and the Cloud UI spell KEYWORD_LIST as KeywordList, INT as Int.
    const cloudType = (type: string): string =>
      type
        .toLowerCase()
        .split('_')
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join('');
    const fromCode = LADDER_SEARCH_ATTRIBUTES.map((key) => `${key.name}=${cloudType(key.type)}`);
    expect(new Set(listed)).toEqual(new Set(fromCode));
  });

  it('has an example env file and units whose values the config accepts', () => {
    const shared = parseEnvFile(deployText('systemd/ladder.env.example'));
    // The Slack settings live in slack.env, which the example only describes.
    const slack = {
      SLACK_BOT_TOKEN: 'xoxb-0-example',
      SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
    };
    for (const unit of readdirSync(join(DEPLOY, 'systemd')).filter((f) => f.endsWith('.service'))) {
      const env = { ...shared, ...slack, ...unitEnvironment(unit) };
      expect(() => loadConfig(env)).not.toThrow();
      expect(() => loadApiConfig(env)).not.toThrow();
      expect(() => loadDashboardEnv(env)).not.toThrow();
    }
    // Every folder the worker writes to is absolute: the relative defaults would land in /opt/ladder.
    const worker = loadConfig({ ...shared, ...slack, ...unitEnvironment('ladder-worker.service') });
    expect(Object.values(worker.actions).every((dir) => dir.startsWith('/var/lib/ladder-worker/'))).toBe(
      true,
    );
    expect(worker.temporal.kind).toBe('cluster');
    const slackApp = loadConfig({ ...shared, ...slack, ...unitEnvironment('ladder-slack.service') });
    expect(slackApp.keys.frontendKey).toBe('/run/credentials/ladder-slack.service/frontend.key.json');
  });

  it('has a compose file that parses, with one image and a Ladder entry point per service', () => {
    const doc = parseDocument(deployText('container/compose.yaml'), { merge: true });
    expect(doc.errors).toEqual([]);
    const compose = doc.toJS({ maxAliasCount: 100 }) as {
      services: Record<
        string,
        { image?: string; command?: string[]; security_opt?: string[]; healthcheck?: { test: string[] } }
      >;
    };
    const ladder = Object.entries(compose.services).filter(([, s]) => s.command?.[0]?.startsWith('dist/'));
    expect(ladder.map(([name]) => name).sort()).toEqual(['api', 'dashboard', 'slack', 'worker']);
    expect(new Set(ladder.map(([, s]) => s.image)).size).toBe(1);
    // The worker's healthcheck asks the port the env example gives its metrics endpoint.
    const shared = parseEnvFile(deployText('systemd/ladder.env.example'));
    const probe = (service: string): string => compose.services[service].healthcheck!.test.join(' ');
    expect(probe('worker')).toContain(`127.0.0.1:${shared.LADDER_WORKER_METRICS_PORT}/readyz`);
    expect(probe('slack')).toContain(`127.0.0.1:${shared.LADDER_SLACK_METRICS_PORT}/readyz`);
    expect(probe('api')).toContain(`127.0.0.1:${shared.LADDER_API_METRICS_PORT}/readyz`);
    expect(compose.services.worker.security_opt).toEqual(
      expect.arrayContaining(['seccomp=unconfined', 'apparmor=unconfined', 'systempaths=unconfined']),
    );
  });
});
