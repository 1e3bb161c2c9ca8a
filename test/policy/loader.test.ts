import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadPolicyFile, parsePolicy, PolicyError } from '../../policy/loader';
import { examplePolicyText } from '../helpers/example-policy';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'policy.yaml');
const exampleText = examplePolicyText();

function errorsOf(text: string) {
  const result = parsePolicy(text, 'test.yaml');
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors;
}

/** The example policy with one YAML edit applied through a JS object round trip. */
function exampleWith(edit: (doc: Record<string, any>) => void): string {
  const doc = parseYaml(exampleText, { merge: true }) as Record<string, any>;
  edit(doc);
  return JSON.stringify(doc); // JSON is YAML
}

describe('parsePolicy', () => {
  it('loads the example policy without errors or warnings', () => {
    const result = parsePolicy(exampleText, EXAMPLE);
    expect(result.ok && result.warnings).toEqual([]);
    if (!result.ok) return;
    expect(Object.keys(result.policy.taskClasses)).toEqual([
      'config-change',
      'deploy',
      'customer-email',
      'db-migration',
    ]);
    expect(result.policy.versionId).toMatch(/^2026\.11\.1\+[0-9a-f]{12}$/);
    expect(result.policy.approversByClass.deploy).toEqual(['U0SRE0001', 'U0SRE0002', 'U0REL0001']);
    expect(result.policy.taskClasses.deploy.approval.expireAfter).toBe(2 * 3_600_000);
    // YAML merge keys: to2 extends to1 and overrides one field.
    expect(result.policy.promotion.to2).toEqual({ ...result.policy.promotion.to1, minSamples: 30 });
  });

  it('gives every distinct content a distinct version, even with the same declared version', () => {
    const a = parsePolicy(exampleText);
    const b = parsePolicy(`${exampleText}\n# a comment changes the bytes\n`);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(a.policy.version).toBe(b.policy.version);
      expect(a.policy.versionId).not.toBe(b.policy.versionId);
    }
  });

  it('names the path and the expectation for a wrong type', () => {
    const text = exampleText.replace(
      'perDay: { count: 5, costUsd: 0 }',
      'perDay: { count: 5, costUsd: fifty }',
    );
    expect(errorsOf(text)).toEqual([
      {
        path: 'taskClasses.deploy.bounds.perDay.costUsd',
        message: 'expected a number ≥ 0, got "fifty"',
        line: expect.any(Number),
      },
    ]);
  });

  it('points at the line of the mistake', () => {
    const text = exampleText.replace('cap: 4\n', 'cap: 9\n');
    const [error] = errorsOf(text);
    const line = text.split('\n').findIndex((l) => l.includes('cap: 9')) + 1;
    expect(error).toEqual({
      path: 'taskClasses.deploy.cap',
      message: 'expected a rung, a whole number from 0 to 5, got 9',
      line,
    });
  });

  it('refuses unknown keys so a typo cannot silently disable a bound', () => {
    const text = exampleWith((d) => {
      d.taskClasses.deploy.bounds.perDay.costUSD = 5;
    });
    expect(errorsOf(text).map((e) => `${e.path}: ${e.message}`)).toEqual([
      'taskClasses.deploy.bounds.perDay.costUSD: unknown key (a typo here would silently disable a setting)',
    ]);
  });

  it('names each mistake in edits, standing approvals and delegation by its path', () => {
    const text = exampleWith((d) => {
      d.taskClasses.deploy.edits = {
        'config.set': { value: 'lower' },
        'shell.exec': { timeoutMs: 'higher' },
      };
      d.taskClasses['config-change'].standingApprovals = { maxTerm: 'a day', maxUses: 0 };
      d.delegation = { standIns: { U0SRE0001: ['U0SRE0001'] }, maxAway: '30d' };
    });
    expect(
      errorsOf(text)
        .map((e) => `${e.path}: ${e.message}`)
        .sort(),
    ).toEqual(
      [
        'delegation.standIns.U0SRE0001: U0SRE0001 cannot stand in for themselves',
        `taskClasses.deploy.edits.config.set: "config.set" is not one of this class's actions (http.request, shell.exec): its params cannot be edited here`,
        'taskClasses.deploy.edits.shell.exec.timeoutMs: expected lower, subset or subpath, got "higher"',
        'taskClasses.config-change.standingApprovals.maxTerm: expected a duration such as 90s, 30m, 4h or 14d, got "a day"',
        'taskClasses.config-change.standingApprovals.maxUses: expected a whole number from 1 to 1000, got 0',
      ].sort(),
    );
  });

  it('reports all ten mistakes of a broken policy at once, each with its path and line', () => {
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'ten-mistakes.yaml'), 'utf8');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.path).sort()).toEqual(
      [
        'taskClasses.deploy.cap',
        'taskClasses.deploy.approvers.groups[1]',
        'taskClasses.deploy.twoPersonRul',
        'taskClasses.deploy.bounds.perDay.costUsd',
        'taskClasses.deploy.approval.expireAfter',
        'taskClasses.config.report.period',
        'agents.ops-agent.owner',
        'agents.ops-agent.rungs.deploi',
        'promotion.to3.minApprovalRate',
        'audit.sampleRate',
      ].sort(),
    );
    // Each mistake is marked with a numbered comment on its own line (or its parent's, for a missing key).
    for (const error of errors) expect(error.line).toBeGreaterThan(0);
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.message]));
    expect(byPath['taskClasses.deploy.approvers.groups[1]']).toBe(
      'unknown group "nobody" (declare it under groups)',
    );
    expect(byPath['agents.ops-agent.rungs.deploi']).toMatch(/^unknown task class "deploi"/);
    expect(byPath['audit.sampleRate']).toBe('required: expected a rate from 0 to 1');
    expect(byPath['taskClasses.deploy.approval.expireAfter']).toBe(
      'expected a duration such as 90s, 30m, 4h or 14d, got "soon"',
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const errors = errorsOf('version: 1\nadmins: [U0ADMIN01\n');
    expect(errors[0]).toMatchObject({ path: '(yaml)', line: expect.any(Number) });
  });

  it('refuses an empty file and a duplicate key', () => {
    expect(errorsOf('')[0].message).toBe('the policy file is empty');
    expect(errorsOf('version: 1\nversion: 2\n')[0].path).toBe('(yaml)');
  });

  it('warns, without refusing, when a rung step has no promotion thresholds', () => {
    const result = parsePolicy(
      exampleWith((d) => {
        delete d.promotion.to4;
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        path: 'promotion.to4',
        message:
          'no thresholds for promotion into rung 4: no agent can be promoted into it (there are no implicit defaults)',
      }),
    ]);
  });

  it('warns when a class cap needs infrastructure the class does not define', () => {
    const result = parsePolicy(
      exampleWith((d) => {
        delete d.taskClasses['config-change'].bounds;
        delete d.taskClasses['config-change'].report;
      }),
    );
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual([
      'taskClasses.config-change.bounds',
      'taskClasses.config-change.report',
    ]);
  });

  it('refuses a class nobody can approve', () => {
    const text = exampleWith((d) => {
      d.taskClasses.deploy.approvers = {};
    });
    expect(errorsOf(text).map((e) => e.path)).toEqual(['taskClasses.deploy.approvers']);
  });
});

describe('loadPolicyFile', () => {
  it('throws a PolicyError naming the file when it cannot be read', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(PolicyError);
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow(
      /nonexistent\/policy\.yaml.*\n.*cannot read: ENOENT/,
    );
  });
});
