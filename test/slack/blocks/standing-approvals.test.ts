import type { SectionBlock } from '@slack/types';
import { targetsField, standingApprovalsBlocks } from '../../../slack/blocks/standing-approvals';
import type { StandingApproval } from '../../../policy/standing-approvals';
import { standingApproval } from '../../helpers/standing';

const T0 = Date.parse('2026-11-29T10:00:00.000Z');

const approval = (over: Partial<StandingApproval> = {}): StandingApproval =>
  standingApproval(T0, { targets: ['run echo *hi* <!channel> (in .)'], ...over });

describe('standing approval blocks', () => {
  it('lists the targets as plain text, so nothing in them formats, links or pings', () => {
    expect(targetsField(['a\u0007b', 'run echo *hi* <!channel> (in .)'])).toEqual({
      type: 'plain_text',
      text: 'Only tasks whose steps act on nothing but:\nab\nrun echo *hi* <!channel> (in .)',
      emoji: false,
    });
  });

  it("cuts a long list at Slack's field limit and says how many are not shown", () => {
    const many = Array.from({ length: 50 }, (_, i) => `write ${'x'.repeat(100)}/${i}.json`);
    const field = targetsField(many);
    expect(field.text.length).toBeLessThanOrEqual(2000);
    const shown = field.text.split('\n').filter((l) => l.startsWith('write ')).length;
    expect(shown).toBeGreaterThan(0);
    expect(field.text).toContain(`…and ${50 - shown} more (ladder approvals --json lists all)`);
  });

  it('shows each approval with its targets, and none for one kept from before targets existed', () => {
    const old = approval({ id: 'sa-0000000b' }) as Partial<StandingApproval>;
    delete old.targets;
    const blocks = standingApprovalsBlocks([approval(), old as StandingApproval], 'control/q/standing', T0);
    const sections = blocks.slice(1) as SectionBlock[];
    expect(sections[0].fields).toEqual([targetsField(['run echo *hi* <!channel> (in .)'])]);
    expect(sections[1].fields).toBeUndefined();
  });
});
