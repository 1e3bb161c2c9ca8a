import { formatStandingApproval } from '../../cli/approval-commands';
import type { StandingApproval } from '../../policy/standing-approvals';
import { standingApproval } from '../helpers/standing';

const T0 = Date.parse('2026-11-29T10:00:00.000Z');

describe('ladder approvals: one approval in words', () => {
  const approval = standingApproval(T0, {
    targets: ['run systemctl restart web (in .)', 'undo: printf "a\nb" (in .)'],
    usedBy: ['task-1'],
  });

  it('names the scope on its first line and each target below it, a line break shown as \\n', () => {
    expect(formatStandingApproval(approval, T0).split('\n')).toEqual([
      `sa-0000000a  a2 shell.exec on web in staging (standing)  granted by U0APPR001 at ${approval.grantedAt}  used 1/2  1 h left`,
      '    - run systemctl restart web (in .)',
      '    - undo: printf "a\\nb" (in .)',
    ]);
  });

  it('says that an approval without targets covers nothing', () => {
    const old = { ...approval } as Partial<StandingApproval>;
    delete old.targets;
    expect(formatStandingApproval(old as StandingApproval, T0)).toContain(
      '    (no targets: it covers no task)',
    );
  });
});
