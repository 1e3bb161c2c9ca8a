import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../cli/main';
import { examplePolicyText } from '../helpers/example-policy';

const ROOT = resolve(__dirname, '..', '..');
const POLICY = join(ROOT, 'examples', 'policy.yaml');
const TASKS = join(ROOT, 'examples', 'tasks');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('ladder policy check', () => {
  it('exits 0 for the example policy and says what it loaded', async () => {
    const r = await run('policy', 'check', POLICY);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/OK, policy 2026\.11\.1\+[0-9a-f]{12}: 4 task classes, 3 agents$/);
  });

  it('exits 1 and lists every error with its path and line', async () => {
    const r = await run('policy', 'check', join(ROOT, 'test', 'fixtures', 'policies', 'ten-mistakes.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('ten-mistakes.yaml: 10 errors:');
    expect(r.err).toMatch(
      /line \d+: taskClasses\.deploy\.bounds\.perDay\.costUsd: expected a number ≥ 0, got "fifty"/,
    );
    expect(r.err.split('\n').filter((l) => /^ {2}line \d+: /.test(l))).toHaveLength(10);
  });

  it('prints warnings but still exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-cli-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, examplePolicyText().replace(/\n {2}to5:[\s\S]*?costPerMinuteUsd: 2\n/, '\n'));
    const r = await run('policy', 'check', file);
    expect(r.code).toBe(0);
    expect(r.err).toContain('warning: line');
    expect(r.err).toContain('promotion.to5: no thresholds for promotion into rung 5');
  });

  it('exits 1 naming a missing file', async () => {
    const r = await run('policy', 'check', '/nonexistent.yaml');
    expect(r).toMatchObject({ code: 1 });
    expect(r.err).toBe('/nonexistent.yaml: no such file');
  });
});

describe('ladder policy explain', () => {
  it('prints the decision and every reason', async () => {
    const r = await run('policy', 'explain', POLICY, join(TASKS, 'pinned-production-deploy.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('effective rung:     2 (confirm)');
    expect(r.out).toContain(
      '[pin:production-deploys] ≤ 2: pinned to rung 2 (confirm): production deploys are confirmed by a human',
    );
  });

  it('takes today’s usage into account and prints JSON on request', async () => {
    const r = await run(
      'policy',
      'explain',
      POLICY,
      join(TASKS, 'rung5-report.json'),
      '--count-today',
      '20',
      '--json',
    );
    const decision = JSON.parse(r.out) as {
      effectiveRung: number;
      bounds: { violations: { bound: string }[] };
    };
    expect(decision.effectiveRung).toBe(2);
    expect(decision.bounds.violations.map((v) => v.bound)).toEqual(['perDay.count']);
  });

  it('names every error of an invalid task file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-cli-'));
    const file = join(dir, 'task.json');
    writeFileSync(file, JSON.stringify({ taskId: 'x y', agent: { id: 'ops-agent' }, steps: [] }));
    const r = await run('policy', 'explain', POLICY, file);
    expect(r.code).toBe(1);
    for (const path of [
      'taskId',
      'agent.model',
      'agent.promptVersion',
      'taskClass',
      'title',
      'requester',
      'environment',
      'steps',
    ]) {
      expect(r.err).toMatch(new RegExp(`^  ${path.replace('.', '\\.')}: `, 'm'));
    }
  });

  it('names unknown references and bad step params against the policy and the action handlers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-cli-'));
    const file = join(dir, 'task.json');
    const task = JSON.parse(readFileSync(join(TASKS, 'rung3-bounded.json'), 'utf8')) as Record<string, any>;
    task.agent.id = 'ghost-agent';
    task.steps.push({ action: 'config.set', params: { file: 'x.txt', set: {} } });
    task.steps[0].params.method = 'YEET';
    writeFileSync(file, JSON.stringify(task));
    const r = await run('policy', 'explain', POLICY, file);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').slice(1)).toEqual([
      '  agent.id: unknown agent "ghost-agent" (declared: ops-agent, release-agent, support-agent)',
      '  steps[0].params.method: expected one of GET, POST, PUT, PATCH, DELETE',
      '  steps[1].action: "config.set" is not allowed for task class "deploy" (allowed: http.request, shell.exec)',
      '  steps[1].params.file: expected a .json, .yaml or .yml file relative to the workspace',
      '  steps[1].params.set: expected at least one key to set',
    ]);
  });

  it('refuses a bad usage option', async () => {
    const r = await run(
      'policy',
      'explain',
      POLICY,
      join(TASKS, 'rung5-report.json'),
      '--cost-today',
      'lots',
    );
    expect(r.code).toBe(1);
    expect(r.err).toBe('--cost-today: expected a number ≥ 0, got "lots"');
  });
});

describe('the built ladder binary', () => {
  const bin = join(ROOT, 'dist', 'cli', 'main.js');

  it('exits 0 for a good policy and 1 for a bad one, as a real process', () => {
    expect(execFileSync(process.execPath, [bin, 'policy', 'check', POLICY], { encoding: 'utf8' })).toContain(
      'OK, policy',
    );
    const bad = spawnSync(
      process.execPath,
      [bin, 'policy', 'check', join(ROOT, 'test', 'fixtures', 'policies', 'ten-mistakes.yaml')],
      {
        encoding: 'utf8',
      },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('10 errors');
  });

  it('prints a JSON Schema with `policy schema`', () => {
    const schema = JSON.parse(
      execFileSync(process.execPath, [bin, 'policy', 'schema'], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(schema.title).toBe('Ladder policy');
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['taskClasses', 'agents', 'promotion']),
    );
  });

  it('exits 2 on a usage error', () => {
    expect(spawnSync(process.execPath, [bin, 'policy', 'frobnicate'], { encoding: 'utf8' }).status).toBe(2);
  });
});
