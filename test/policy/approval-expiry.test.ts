import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decide, type Usage } from '../../policy/decide';
import { loadPolicyFile, parsePolicy } from '../../policy/loader';
import { taskRequestSchema } from '../../policy/task';
import { examplePolicyText } from '../helpers/example-policy';

const NO_USAGE: Usage = { countToday: 0, costTodayUsd: 0 };

/** The example policy with the config-change class's `approval` replaced by `approval`. */
function withApproval(approval: Record<string, unknown>): string {
  const doc = parseYaml(examplePolicyText(), { merge: true }) as Record<string, any>;
  doc.taskClasses['config-change'].approval = approval;
  return JSON.stringify(doc);
}

function problemsOf(text: string): { path: string; message: string }[] {
  const result = parsePolicy(text, 'test.yaml');
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.errors.map(({ path, message }) => ({ path, message }));
}

describe('approval expiry in the policy: warnBefore, onExpiry, escalateTo', () => {
  it('reads the example: config-change escalates to release with a warning, customer-email keeps waiting, the rest reject', () => {
    const result = parsePolicy(examplePolicyText(), 'examples/policy.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const classes = result.policy.taskClasses;
    expect(classes['config-change'].approval).toEqual({
      remindAfter: 30 * 60_000,
      expireAfter: 4 * 3_600_000,
      warnBefore: 30 * 60_000,
      onExpiry: 'escalate',
      escalateTo: ['release'],
    });
    expect(classes['customer-email'].approval.onExpiry).toBe('keep-waiting');
    // Absent, onExpiry is reject: today's behaviour.
    expect(classes.deploy.approval.onExpiry).toBe('reject');
    expect(classes.deploy.approval.warnBefore).toBeUndefined();
  });

  it('gives the workflow the chain with each group’s members, the warning in ms, and the default', () => {
    const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml')).policy;
    const task = (taskClass: string) =>
      taskRequestSchema.parse({
        taskId: 't-1',
        agent: { id: 'a2', model: 'm', promptVersion: 'p' },
        taskClass,
        title: 't',
        requester: 'U0APPR001',
        environment: 'staging',
        steps: [{ action: 'shell.exec', params: { command: 'true' } }],
      });
    expect(decide(policy, null, task('expiry-escalate'), NO_USAGE).approval).toEqual({
      remindAfterMs: 2_500,
      expireAfterMs: 3_000,
      warnBeforeMs: 2_000,
      onExpiry: 'escalate',
      escalateTo: [
        { group: 'leads', members: ['U0LEAD001'] },
        { group: 'directors', members: ['U0DIRE001'] },
      ],
    });
    expect(decide(policy, null, task('expiry-wait'), NO_USAGE).approval).toMatchObject({
      warnBeforeMs: null,
      onExpiry: 'keep-waiting',
      escalateTo: [],
    });
    expect(decide(policy, null, task('ops'), NO_USAGE).approval).toMatchObject({
      warnBeforeMs: null,
      onExpiry: 'reject',
      escalateTo: [],
    });
  });

  it('refuses a chain that cannot work, naming the path and what was expected', () => {
    const base = { remindAfter: '30m', expireAfter: '4h' };
    expect(problemsOf(withApproval({ ...base, onExpiry: 'escalate' }))).toContainEqual({
      path: 'taskClasses.config-change.approval.escalateTo',
      message: 'expected the approver groups to escalate to, in order (onExpiry is escalate)',
    });
    expect(problemsOf(withApproval({ ...base, escalateTo: ['release'] }))).toContainEqual({
      path: 'taskClasses.config-change.approval.escalateTo',
      message: 'escalateTo is used only with onExpiry: escalate (onExpiry is reject)',
    });
    expect(
      problemsOf(withApproval({ ...base, onExpiry: 'escalate', escalateTo: ['releas'] })),
    ).toContainEqual({
      path: 'taskClasses.config-change.approval.escalateTo[0]',
      message: 'unknown group "releas" (declare it under groups)',
    });
    expect(problemsOf(withApproval({ ...base, onExpiry: 'later' }))).toContainEqual({
      path: 'taskClasses.config-change.approval.onExpiry',
      message: 'expected reject, keep-waiting or escalate, got "later"',
    });
    expect(problemsOf(withApproval({ ...base, warnBefore: '4h' }))).toContainEqual({
      path: 'taskClasses.config-change.approval.warnBefore',
      message: 'expected a warning before expiry: less than expireAfter',
    });
    expect(problemsOf(withApproval({ ...base, warnBefore: '1m', onExpiry: 'keep-waiting' }))).toContainEqual({
      path: 'taskClasses.config-change.approval.warnBefore',
      message: 'a request that keeps waiting never expires: there is nothing to warn about',
    });
  });
});
