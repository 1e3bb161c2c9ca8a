import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActionRegistry } from '../../activities/actions/registry';
import {
  ownerOf,
  ownersOf,
  reachObjections,
  urlReadings,
  type EnvironmentTargets,
} from '../../policy/environment-targets';
import { parsePolicy } from '../../policy/loader';
import { validateTaskRequest } from '../../policy/validate-task';
import { examplePolicyText } from '../helpers/example-policy';

const TABLE: EnvironmentTargets = {
  staging: { urls: ['https://api.example.com/'], paths: ['config/staging/'] },
  production: {
    urls: ['https://api.example.com/prod/', 'https://deploy.example.com'],
    paths: ['config/prod'],
  },
};

const ownerOfUrl = (url: string): string | undefined =>
  ownerOf({ field: 'params.url', url }, TABLE)?.environment;
const ownerOfPath = (path: string): string | undefined =>
  ownerOf({ field: 'params.path', path }, TABLE)?.environment;

describe('ownerOf', () => {
  it('gives a URL to the environment with the longest matching prefix', () => {
    expect(ownerOfUrl('https://api.example.com/flags')).toBe('staging');
    expect(ownerOfUrl('https://api.example.com/prod/deploys')).toBe('production');
    expect(ownerOfUrl('https://deploy.example.com/v1/deploys?env=x')).toBe('production');
    expect(ownerOfUrl('https://other.example.com/prod/')).toBeUndefined();
  });

  it('matches at path boundaries only', () => {
    expect(ownerOfUrl('https://api.example.com/production-notes')).toBe('staging');
    expect(ownerOfUrl('https://api.example.com/prod')).toBe('production');
    expect(ownerOfPath('config/prodigy.json')).toBeUndefined();
    expect(ownerOfPath('config/prod/flags.json')).toBe('production');
  });

  it('sees through spellings a server treats as the same URL', () => {
    // Percent-encoded unreserved characters, dot segments, case, default ports, query and fragment.
    expect(ownerOfUrl('https://api.example.com/%70rod/deploys')).toBe('production');
    expect(ownerOfUrl('https://api.example.com/x/%2e%2e/prod/deploys')).toBe('production');
    expect(ownerOfUrl('https://API.example.com/PROD/deploys')).toBe('production');
    expect(ownerOfUrl('https://deploy.example.com:443/#x')).toBe('production');
    expect(ownerOfUrl('https://api.example.com/staging/../prod/x')).toBe('production');
  });

  it('keeps a path that starts with // on its own host', () => {
    // Resolved against the origin, `//api.example.com/x` would read as that host: it is deploy's path.
    expect(ownerOfUrl('https://deploy.example.com//api.example.com/x')).toBe('production');
    expect(ownerOfUrl('https://other.example.com//deploy.example.com/x')).toBeUndefined();
    expect(ownerOfUrl('https://api.example.com//')).toBe('staging');
  });

  it('owns a URL by scheme-less host and path: http:// and https:// are one service', () => {
    // Plain http to production's https API is commonly redirected there; it is production's place.
    expect(ownerOfUrl('http://deploy.example.com/v1/deploys')).toBe('production');
    expect(ownerOfUrl('HTTP://Deploy.Example.COM:80/v1/deploys')).toBe('production');
    expect(ownerOfUrl('http://api.example.com/prod/x')).toBe('production');
    // Another port is another service.
    expect(ownerOfUrl('http://deploy.example.com:8080/v1/deploys')).toBeUndefined();
  });

  it('owns a URL by any reading a server may give its path', () => {
    const owners = (url: string): string[] =>
      ownersOf({ field: 'params.url', url }, TABLE).map((o) => o.environment);
    // Tomcat, Jetty and Spring drop ;parameters: /x/..;/prod/ is /prod/.
    expect(owners('https://api.example.com/x/..;/prod/deploys')).toEqual(['staging', 'production']);
    expect(owners('https://other.example.com/prod;v=1/x')).toEqual([]);
    // Servers that decode an escaped / or \ (or decode twice) before routing.
    expect(owners('https://api.example.com/x/..%2Fprod/deploys')).toEqual(['staging', 'production']);
    expect(owners('https://api.example.com/x/..%5Cprod/deploys')).toEqual(['staging', 'production']);
    expect(owners('https://api.example.com/x/..%252Fprod/deploys')).toEqual(['staging', 'production']);
    // A plain URL has one reading.
    expect(urlReadings('https://api.example.com/prod/deploys')).toEqual(['//api.example.com/prod/deploys']);
    expect(urlReadings('ftp://api.example.com/')).toEqual([]);
  });

  it('normalises workspace paths before matching', () => {
    expect(ownerOfPath('./config/staging/../prod/a.json')).toBe('production');
    expect(ownerOfPath('config//prod/a.json')).toBe('production');
    expect(ownerOfPath('Config/Prod/a.json')).toBe('production');
    expect(ownerOfPath('config/staging/a.json')).toBe('staging');
  });
});

describe('reachObjections', () => {
  const steps = (places: Parameters<typeof reachObjections>[0][number]['places']) => [{ index: 1, places }];

  it('refuses a place another environment owns, naming the field, the owner and the prefix', () => {
    expect(
      reachObjections(
        steps([{ field: 'params.url', url: 'https://api.example.com/prod/deploys' }]),
        'staging',
        TABLE,
      ),
    ).toEqual([
      'steps[1].params.url: "https://api.example.com/prod/deploys" belongs to production (environmentTargets.production.urls[0]: "https://api.example.com/prod/"), not staging; a task that reaches production must name it',
    ]);
  });

  it('refuses a staging task whose URL some servers read as production, saying how they read it', () => {
    expect(
      reachObjections(
        steps([{ field: 'params.url', url: 'https://api.example.com/flags/..;/prod/deploys' }]),
        'staging',
        TABLE,
      ),
    ).toEqual([
      'steps[1].params.url: "https://api.example.com/flags/..;/prod/deploys" (as some servers read it: "//api.example.com/prod/deploys") belongs to production (environmentTargets.production.urls[0]: "https://api.example.com/prod/"), not staging; a task that reaches production must name it',
    ]);
    // Named as production, it fits: every reading is production's or staging's own prefix above it.
    expect(
      reachObjections(
        steps([{ field: 'params.url', url: 'https://deploy.example.com/a;b/c' }]),
        'production',
        TABLE,
      ),
    ).toEqual([]);
  });

  it('accepts owned places under their own environment and unowned places under any', () => {
    const places = [
      { field: 'params.url', url: 'https://api.example.com/prod/deploys' },
      { field: 'params.path', path: 'config/prod/a.json' },
      { field: 'params.healthUrl', url: 'https://status.example.com/health' },
    ];
    expect(reachObjections(steps(places), 'production', TABLE)).toEqual([]);
    expect(reachObjections(steps([places[2]]), 'dev', TABLE)).toEqual([]);
  });

  it('refuses absolute paths once any environment owns paths, and checks nothing without a table', () => {
    expect(
      reachObjections(
        steps([{ field: 'params.file', path: '/srv/ws/config/prod/a.json' }]),
        'staging',
        TABLE,
      ),
    ).toEqual([
      expect.stringMatching(/^steps\[1\]\.params\.file: "\/srv\/ws\/config\/prod\/a\.json" is absolute/),
    ]);
    expect(
      reachObjections(
        steps([{ field: 'params.url', url: 'https://api.example.com/prod/x' }]),
        'staging',
        undefined,
      ),
    ).toEqual([]);
  });
});

describe('environmentTargets in a policy', () => {
  const withTargets = (section: string): ReturnType<typeof parsePolicy> =>
    parsePolicy(
      examplePolicyText().replace(/^environmentTargets:\n(?: .*\n)*/m, `environmentTargets:\n${section}\n`),
      'test.yaml',
    );
  const problems = (r: ReturnType<typeof parsePolicy>): string[] =>
    r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.message}`);

  it('is in the example policy, and the example tasks fit it', () => {
    expect(examplePolicyText()).toMatch(/^environmentTargets:\n {2}production: /m);
    const parsed = parsePolicy(examplePolicyText());
    expect(parsed.ok && parsed.policy.environmentTargets).toEqual({
      production: { urls: ['http://127.0.0.1:4100/tickets/'] },
    });
  });

  it('refuses undeclared environments, shared prefixes and prefixes that cannot be matched', () => {
    const result = withTargets(
      [
        '  prod: { urls: ["https://a.example.com/"] }',
        '  staging: { urls: ["https://b.example.com/x?y=1", "https://A.example.com"], paths: ["../up", "/abs", "."] }',
        '  dev: {}',
      ].join('\n'),
    );
    expect(problems(result)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^environmentTargets\.prod: unknown environment "prod" .*did you mean "production"/,
        ),
        'environmentTargets.staging.urls[0]: a URL prefix cannot hold a query or fragment (steps are matched by path), got "https://b.example.com/x?y=1"',
        'environmentTargets.staging.urls[1]: "https://A.example.com" is already owned by prod; a place belongs to one environment',
        'environmentTargets.staging.paths[0]: a path prefix cannot climb out of the workspace with .., got "../up"',
        'environmentTargets.staging.paths[1]: expected a path relative to the workspace, not an absolute one, got "/abs"',
        'environmentTargets.staging.paths[2]: the whole workspace cannot belong to one environment; name its folders, got "."',
        'environmentTargets.dev: expected urls, paths, or both, got a mapping',
      ]),
    );
  });

  it('needs declared environments', () => {
    const text = examplePolicyText().replace(/^environments: .*\n/m, '');
    const result = parsePolicy(text, 'test.yaml');
    expect(problems(result)).toContainEqual(
      expect.stringMatching(/^environmentTargets: environmentTargets needs environments declared/),
    );
  });
});

describe('validateTaskRequest with environmentTargets', () => {
  const parsed = parsePolicy(examplePolicyText());
  if (!parsed.ok) throw new Error('example policy does not load');
  const registry = createActionRegistry();
  const reply = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'examples', 'tasks', 'rung1-draft.json'), 'utf8'),
  ) as { environment: string; steps: { params: { url: string } }[] };

  it('refuses a production ticket reply labelled staging, and accepts it as production', () => {
    const relabelled = { ...structuredClone(reply), environment: 'staging' };
    const refused = validateTaskRequest(relabelled, parsed.policy, registry);
    expect(refused.ok ? [] : refused.errors).toEqual([
      'steps[0].params.url: "http://127.0.0.1:4100/tickets/4821/replies" belongs to production (environmentTargets.production.urls[0]: "http://127.0.0.1:4100/tickets/"), not staging; a task that reaches production must name it',
    ]);
    expect(validateTaskRequest(reply, parsed.policy, registry).ok).toBe(true);
  });

  it('sees an encoded spelling of an owned URL', () => {
    const sneaky = structuredClone(reply);
    sneaky.environment = 'staging';
    sneaky.steps[0].params.url = 'http://127.0.0.1:4100/%74ickets/4821/replies';
    const refused = validateTaskRequest(sneaky, parsed.policy, registry);
    expect(refused.ok ? [] : refused.errors).toEqual([expect.stringMatching(/belongs to production/)]);
  });
});
