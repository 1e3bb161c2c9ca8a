import { blockKitProblem } from '../../../slack/emulator/block-kit-check';
import { ACTION_IDS } from '../../../slack/action-ids';
import { appHomeView } from '../../../slack/blocks/app-home';
import {
  HOME_PROPOSALS_LISTED,
  homeAbsenceBlocks,
  homeProposalBlocks,
  type HomeProposal,
} from '../../../slack/blocks/app-home-sections';
import type { Proposal } from '../../../policy/ledger';

const proposal = (id: string, over: Partial<Proposal> = {}): HomeProposal => ({
  agentId: 'climber',
  ledgerWorkflowId: 'ledger/q/climber',
  proposal: {
    id,
    taskClass: 'ops',
    from: 2,
    to: 3,
    at: '2026-11-26T10:00:00.000Z',
    criteria: [
      { criterion: 'samples', ok: true, detail: '40 samples, needs 40' },
      { criterion: 'approval rate', ok: true, detail: '100%' },
    ] as Proposal['criteria'],
    approvers: ['U0ADMIN01', 'U0APPR001'],
    status: 'open',
    decidedBy: null,
    messageRef: null,
    ...over,
  },
});

describe('App Home sections', () => {
  it('lists a proposal with the buttons its Slack message carries (same action ids and values)', () => {
    const blocks = homeProposalBlocks([proposal('p1')]);
    const json = JSON.stringify(blocks);
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Promotions to decide' } });
    expect(json).toContain('*climber* in *ops*: rung 2 → 3 (p1, proposed 2026-11-26T10:00:00.000Z)');
    expect(json).toContain('2 of 2 criteria met · may decide: U0ADMIN01, U0APPR001');
    const actions = blocks[2] as { type: string; elements: { action_id: string; value: string }[] };
    expect(actions.type).toBe('actions');
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      [ACTION_IDS.promote, 'ledger/q/climber#p1'],
      [ACTION_IDS['decline-promotion'], 'ledger/q/climber#p1'],
    ]);
    expect(blockKitProblem(blocks, 100)).toBeUndefined();
  });

  it('lists at most HOME_PROPOSALS_LISTED and says how many more, and nothing when none', () => {
    expect(homeProposalBlocks([])).toEqual([]);
    const many = Array.from({ length: HOME_PROPOSALS_LISTED + 2 }, (_, i) => proposal(`p${i + 1}`));
    const blocks = homeProposalBlocks(many);
    expect(blocks).toHaveLength(1 + 2 * HOME_PROPOSALS_LISTED + 1);
    expect(JSON.stringify(blocks.at(-1))).toContain('2 more: `ladder status`');
  });

  it('escapes what it did not write (ids reach Slack as text, never as markup)', () => {
    // The section is mrkdwn (a raw <!here> would notify everyone); button values are never rendered.
    const section = homeProposalBlocks([proposal('p<!here>')])[1] as { text: { text: string } };
    expect(section.text.text).not.toContain('<!here>');
    expect(section.text.text).toContain('p&lt;!here&gt;');
  });

  it('shows the absence in force with its stand-in and the /ladder back hint, nothing when not away', () => {
    expect(homeAbsenceBlocks(undefined)).toEqual([]);
    const blocks = homeAbsenceBlocks({
      approver: 'U0APPR002',
      delegate: 'U0SUB0001',
      since: '2026-11-26T09:00:00.000Z',
      until: '2026-11-27T09:00:00.000Z',
    });
    const text = JSON.stringify(blocks);
    expect(text).toContain('You are away until *2026-11-27T09:00:00.000Z*');
    expect(text).toContain('<@U0SUB0001> answers your requests meanwhile');
    expect(text).toContain('`/ladder back`');
    // A stand-in that is not a Slack id is shown as text, not as a mention.
    const odd = JSON.stringify(
      homeAbsenceBlocks({ approver: 'U1', delegate: '<!channel>', since: 'a', until: 'b' }),
    );
    expect(odd).not.toContain('<!channel>');
  });

  it('puts proposals and the absence into the Home within its 100-block limit', () => {
    const view = appHomeView({
      tasks: [],
      total: 0,
      uiLink: (id) => `http://ui/${id}`,
      proposals: Array.from({ length: 9 }, (_, i) => proposal(`p${i}`)),
      away: { approver: 'U0APPR002', delegate: 'U0SUB0001', since: 's', until: 'u' },
    });
    const headers = view.blocks
      .filter((b) => b.type === 'header')
      .map((b) => (b as { text: { text: string } }).text.text);
    expect(headers).toEqual(['Waiting on you', 'Promotions to decide', 'While you are away']);
    expect(blockKitProblem(view.blocks, 100)).toBeUndefined();
  });
});
