import {
  checkGrant,
  checkRevoke,
  ENDED_KEPT_MS,
  endedBecause,
  pruneEnded,
  useStanding,
  whyNotCoverable,
  type StandingApproval,
  type StandingAuthority,
} from '../../policy/standing-approvals';
import { standingApproval } from '../helpers/standing';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const HOUR = 3_600_000;

const authority: StandingAuthority = {
  policyVersion: 'v1',
  admins: ['U0ADMIN01'],
  agents: ['a2'],
  approversByClass: { standing: ['U0APPR001'], plain: ['U0APPR001'] },
  standingByClass: {
    standing: { maxTermMs: 2 * HOUR, maxUses: 3, actions: ['shell.exec'], neverCovers: null },
  },
};

const approval = (over: Partial<StandingApproval> = {}): StandingApproval =>
  standingApproval(T0, { id: 'sa-00000001', ...over });

const request = (workflowId: string, over: Record<string, unknown> = {}) => ({
  workflowId,
  agentId: 'a2',
  taskClass: 'standing',
  actions: ['shell.exec'],
  resource: 'web',
  environment: 'staging',
  targets: ['run systemctl restart web (in .)'],
  ...over,
});

describe('standing approval rules', () => {
  const grant = {
    agentId: 'a2',
    taskClass: 'standing',
    action: 'shell.exec',
    resource: 'web',
    environment: 'staging',
    targets: ['run systemctl restart web (in .)', 'undo: systemctl start web (in .)'],
    by: 'U0APPR001',
    termMs: HOUR,
    maxUses: 3,
  };

  it('accepts a grant within the limits from an approver or an admin, and names each refusal', () => {
    expect(() => checkGrant(authority, grant)).not.toThrow();
    expect(() => checkGrant(authority, { ...grant, by: 'U0ADMIN01' })).not.toThrow();
    expect(() => checkGrant(authority, { ...grant, by: 'U0OTHER01' })).toThrow(/U0OTHER01 may not grant/);
    expect(() => checkGrant(authority, { ...grant, taskClass: 'nope' })).toThrow(/unknown task class "nope"/);
    expect(() => checkGrant(authority, { ...grant, taskClass: 'plain' })).toThrow(
      /does not allow standing approvals in policy v1/,
    );
    expect(() => checkGrant(authority, { ...grant, agentId: 'zz' })).toThrow(/unknown agent "zz"/);
    expect(() => checkGrant(authority, { ...grant, resource: ' ' })).toThrow(/^resource: expected a name/);
    expect(() => checkGrant(authority, { ...grant, termMs: 0 })).toThrow(/^term: /);
    // The scope is what the steps act on: none, unsorted, repeated or blank targets are refused.
    expect(() => checkGrant(authority, { ...grant, targets: [] })).toThrow(/^targets: expected 1 to 50/);
    expect(() => checkGrant(authority, { ...grant, targets: undefined as unknown as string[] })).toThrow(
      /^targets: expected 1 to 50 things the steps act on, got undefined/,
    );
    expect(() => checkGrant(authority, { ...grant, targets: ['b', 'a'] })).toThrow(
      /sorted and without repeats/,
    );
    expect(() => checkGrant(authority, { ...grant, targets: ['a', 'a'] })).toThrow(
      /sorted and without repeats/,
    );
    expect(() => checkGrant(authority, { ...grant, targets: [' '] })).toThrow(/^targets\[0\]: expected text/);
    expect(() => checkGrant(authority, { ...grant, maxUses: 1.5 })).toThrow(/^uses: /);
    // Authority carried from before standing approvals existed allows none.
    expect(() => checkGrant({ ...authority, standingByClass: undefined }, grant)).toThrow(/does not allow/);
  });

  it('uses the one expiring first, counts a task once, and never past N, the term or a revoke', () => {
    const late = approval({ id: 'sa-late', expiresAt: new Date(T0 + 2 * HOUR).toISOString() });
    const early = approval({ id: 'sa-early' });
    const list = [late, early];
    expect(useStanding(list, request('w1'), T0)).toMatchObject({ id: 'sa-early', use: 1, maxUses: 2 });
    // A retried decision gets the same use, not another.
    expect(useStanding(list, request('w1'), T0)).toMatchObject({ id: 'sa-early', use: 1 });
    expect(useStanding(list, request('w2'), T0)).toMatchObject({ id: 'sa-early', use: 2 });
    expect(useStanding(list, request('w3'), T0)).toMatchObject({ id: 'sa-late', use: 1 });
    expect(early.usedBy).toEqual(['w1', 'w2']);
    expect(endedBecause(early, T0)).toBe('used 2 of 2 times');

    expect(useStanding([approval()], request('w4'), T0 + HOUR)).toBeNull(); // expired at its end
    expect(useStanding([approval({ revoked: { by: 'U0APPR001', at: 'x' } })], request('w5'), T0)).toBeNull();
    for (const miss of [
      { resource: 'db' },
      { environment: 'production' },
      { agentId: 'b2' },
      { actions: ['shell.exec', 'file.write'] },
      { actions: [] },
    ])
      expect(useStanding([approval()], request('w6', miss), T0)).toBeNull();
  });

  it('covers a task only when every target of its steps is one the approval was granted for', () => {
    const granted = approval({
      targets: ['run systemctl restart web (in .)', 'undo: systemctl start web (in .)'],
      maxUses: 10,
    });
    // The same label ("web") on a step that acts on something else is asked again.
    for (const targets of [
      ['run systemctl stop db (in .)'],
      ['run systemctl restart web (in .)', 'run rm -rf / (in .)'],
      ['run systemctl restart web (in ..)'],
      [],
    ])
      expect(useStanding([granted], request(`miss-${targets.length}`, { targets }), T0)).toBeNull();
    expect(granted.usedBy).toEqual([]);
    // A subset, in any order, with repeats, is covered.
    expect(
      useStanding(
        [granted],
        request('w-sub', {
          targets: [
            'undo: systemctl start web (in .)',
            'run systemctl restart web (in .)',
            'run systemctl restart web (in .)',
          ],
        }),
        T0,
      ),
    ).toMatchObject({ id: 'sa-00000001', use: 1 });
    // An approval kept from before targets existed covers nothing.
    const old = approval({ id: 'sa-old' }) as Partial<StandingApproval>;
    delete old.targets;
    expect(useStanding([old as StandingApproval], request('w-old'), T0)).toBeNull();
  });

  it('lets the grantor, an approver or an admin revoke, once', () => {
    const a = approval({ grantedBy: 'U0GRANT01' });
    expect(() => checkRevoke(authority, a, a.id, 'U0GRANT01', T0)).not.toThrow();
    expect(() => checkRevoke(authority, a, a.id, 'U0ADMIN01', T0)).not.toThrow();
    expect(() => checkRevoke(authority, a, a.id, 'U0OTHER01', T0)).toThrow(
      /only U0GRANT01 \(who granted it\)/,
    );
    expect(() => checkRevoke(authority, undefined, 'sa-x', 'U0ADMIN01', T0)).toThrow(
      'no standing approval sa-x',
    );
    expect(() => checkRevoke(authority, approval(), 'sa-00000001', 'U0ADMIN01', T0 + HOUR)).toThrow(
      /has ended already: expired/,
    );
  });

  it('keeps an ended approval listed for a day, then drops it', () => {
    const revoked = approval({ revoked: { by: 'U0APPR001', at: new Date(T0).toISOString() } });
    const live = approval({ id: 'sa-live', expiresAt: new Date(T0 + 3 * ENDED_KEPT_MS).toISOString() });
    expect(pruneEnded([revoked, live], T0 + ENDED_KEPT_MS - 1)).toHaveLength(2);
    expect(pruneEnded([revoked, live], T0 + ENDED_KEPT_MS)).toEqual([live]);
  });

  it('covers only a rung-2 request nobody sent to a person on purpose, and guarded tasks only where the class says', () => {
    const decision = {
      effectiveRung: 2 as const,
      refused: null,
      reasons: [],
      twoPersonRule: false,
      typedConfirmation: { required: false as const },
    };
    const cover = { pinned: false, twoPersonRule: false, typedConfirmation: false };
    expect(whyNotCoverable(decision, cover, [])).toBeNull();
    expect(whyNotCoverable({ ...decision, effectiveRung: 3 }, cover, [])).toBe('not a rung-2 request');
    expect(whyNotCoverable(decision, undefined, [])).toBe('the class does not allow standing approvals');
    for (const [rule, why] of [
      ['kill-switch', 'a kill switch is engaged'],
      ['kill-switch-runtime', 'a kill switch is engaged'],
      ['class-rollback', 'a rollback trigger reduced the class'],
      ['requested-lower', 'the agent asked for confirmation'],
    ])
      expect(whyNotCoverable({ ...decision, reasons: [{ rule, ceiling: 2, message: '' }] }, cover, [])).toBe(
        why,
      );
    expect(whyNotCoverable(decision, cover, ['prod-shell'])).toBe('pinned (prod-shell)');
    expect(whyNotCoverable(decision, { ...cover, pinned: true }, ['prod-shell'])).toBeNull();
    expect(whyNotCoverable({ ...decision, twoPersonRule: true }, cover, [])).toBe(
      'the two-person rule applies',
    );
    expect(
      whyNotCoverable({ ...decision, twoPersonRule: true }, { ...cover, twoPersonRule: true }, []),
    ).toBeNull();
    const typed = { ...decision, typedConfirmation: { required: true as const, expected: 'web' } };
    expect(whyNotCoverable(typed, cover, [])).toBe('a typed confirmation is required');
  });
});
