import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { answererNoLongerInForce, type AnswererClaim } from '../../activities/authority-activities';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';

// Who may still answer a request decided earlier: the policy and the absences in force decide,
// not the snapshot the task was decided with.

const FILE = join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml');

function policyWith(edit: (text: string) => string): LoadedPolicy {
  const loaded = parsePolicy(edit(readFileSync(FILE, 'utf8')), FILE);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.policy;
}

describe('answererNoLongerInForce', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  const until = '2026-11-30T12:00:00Z';
  const policy = policyWith((t) => t);
  const without002 = policyWith((t) =>
    t.replace('approvers: [U0APPR001, U0APPR002]', 'approvers: [U0APPR001]'),
  );

  it('lets an approver who still is one answer, and refuses one removed since', () => {
    const claim = { user: 'U0APPR002', taskClass: 'plain', escalatedTo: [] };
    expect(answererNoLongerInForce(policy, claim, [], now)).toBeNull();
    expect(answererNoLongerInForce(without002, claim, [], now)).toBe(
      `U0APPR002 is no longer an approver of "plain" in policy ${without002.versionId}`,
    );
  });

  it('counts a group the request was escalated to, as the policy declares its members now', () => {
    const claim = { user: 'U0APPR002', taskClass: 'no-such-class', escalatedTo: ['approvers'] };
    expect(answererNoLongerInForce(policy, claim, [], now)).toBeNull();
    expect(answererNoLongerInForce(without002, claim, [], now)).toMatch(/is no longer an approver/);
    expect(answererNoLongerInForce(policy, { ...claim, escalatedTo: ['__proto__'] }, [], now)).toMatch(
      /is no longer an approver/,
    );
  });

  it('lets a stand-in answer only while the absence lasts and the absent person is still an approver', () => {
    const claim = { user: 'U0SUB0001', taskClass: 'plain', escalatedTo: [], onBehalfOf: 'U0APPR002' };
    const away = [{ approver: 'U0APPR002', delegate: 'U0SUB0001', until, since: '2026-11-28T12:00:00Z' }];
    expect(answererNoLongerInForce(policy, claim, away, now)).toBeNull();
    expect(answererNoLongerInForce(policy, claim, [], now)).toBe(
      'U0SUB0001 no longer stands in for U0APPR002: the absence has ended',
    );
    expect(answererNoLongerInForce(policy, claim, away, Date.parse(until) + 1)).toMatch(/absence has ended/);
    const replaced = [{ ...away[0], delegate: 'U0OWNER01' }];
    expect(answererNoLongerInForce(policy, claim, replaced, now)).toMatch(/absence has ended/);
    expect(answererNoLongerInForce(without002, claim, away, now)).toBe(
      `U0SUB0001 stands in for U0APPR002, who is no longer an approver of "plain" in policy ${without002.versionId}`,
    );
  });
});

describe('answererNoLongerInForce for outcome answers and report reads', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  const WORKFLOW = join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');
  const load = (edit: (text: string) => string): LoadedPolicy => {
    const loaded = parsePolicy(edit(readFileSync(WORKFLOW, 'utf8')), WORKFLOW);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.policy;
  };
  const policy = load((t) => t);
  const newOwner = load((t) => t.replace('a5: { owner: U0OWNER01,', 'a5: { owner: U0OWNER02,'));
  const without002 = load((t) => t.replace('approvers: [U0APPR001, U0APPR002]', 'approvers: [U0APPR001]'));

  it("asks an unknown outcome's answerer to still own the agent or approve the class", () => {
    const owner = {
      kind: 'owner-or-approver' as const,
      user: 'U0OWNER01',
      taskClass: 'ops',
      agentId: 'a5',
      escalatedTo: [],
    } satisfies AnswererClaim;
    expect(answererNoLongerInForce(policy, owner, [], now)).toBeNull();
    expect(answererNoLongerInForce(newOwner, owner, [], now)).toBe(
      `U0OWNER01 no longer owns a5 nor approves "ops" in policy ${newOwner.versionId}`,
    );
    const approver = { ...owner, user: 'U0APPR002' };
    expect(answererNoLongerInForce(policy, approver, [], now)).toBeNull();
    expect(answererNoLongerInForce(without002, approver, [], now)).toMatch(
      /^U0APPR002 no longer owns a5 nor approves/,
    );
  });

  it('asks a report reader to still be one of the class, as the policy declares its readers now', () => {
    // workflow.yaml's ops class takes the default readers: owner, requester, approvers, escalation.
    const reader = {
      kind: 'reader' as const,
      user: 'U0APPR002',
      taskClass: 'ops',
      agentId: 'a5',
      requester: 'U0APPR001',
    } satisfies AnswererClaim;
    expect(answererNoLongerInForce(policy, reader, [], now)).toBeNull();
    expect(answererNoLongerInForce(without002, reader, [], now)).toBe(
      `U0APPR002 is no longer a report reader of "ops" in policy ${without002.versionId}`,
    );
    const requester = { ...reader, user: 'U0APPR001' };
    expect(answererNoLongerInForce(without002, requester, [], now)).toBeNull();
    const owner = { ...reader, user: 'U0OWNER01' };
    expect(answererNoLongerInForce(newOwner, owner, [], now)).toMatch(
      /^U0OWNER01 is no longer a report reader/,
    );
  });
});
