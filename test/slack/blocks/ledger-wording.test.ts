import type { Notification } from '../../../activities/notify/notifier';
import {
  auditExpiredText,
  auditRequestWording,
  auditVerdictText,
  classRollbackWording,
  demotionWording,
  proposalDecidedText,
  proposalForOwnerText,
  proposalOwnerMention,
  proposalWording,
} from '../../../slack/blocks/ledger-wording';
import { notificationText, taskMessageBlocks } from '../../../slack/blocks/task-message';

describe('audit wording', () => {
  it('asks about one autonomous outcome, naming the agent, the task, the rung and what a disagreement costs', () => {
    expect(
      auditRequestWording({
        agentId: 'ops-agent',
        workflowId: 'task/ops-agent/t-9',
        rung: 4,
        taskClass: 'deploy',
      }),
    ).toEqual({
      title: 'ops-agent ran task/ops-agent/t-9 on its own (rung 4)',
      text: "This autonomous outcome was sampled for review. Was it right? Disagreeing counts against ops-agent in deploy; enough disagreement reduces the class's scope for every agent.",
    });
  });

  it('reads "Audit:" once in the message header', () => {
    const wording = auditRequestWording({
      agentId: 'ops-agent',
      workflowId: 'task/ops-agent/t-9',
      rung: 4,
      taskClass: 'deploy',
    });
    const [header] = taskMessageBlocks({
      kind: 'audit',
      workflowId: 'task/ops-agent/t-9',
      agentId: 'ops-agent',
      taskClass: 'deploy',
      channel: '#deploy',
      ...wording,
    } as Notification);
    expect(header).toMatchObject({
      type: 'header',
      text: { text: 'Audit: ops-agent ran task/ops-agent/t-9 on its own (rung 4)' },
    });
  });

  it('closes with the verdict: who agreed and when, or who disagreed, when and why', () => {
    const at = '2026-03-01T10:00:00.000Z';
    expect(auditVerdictText({ agentId: 'ops-agent', by: 'U0REVIEW1', at, agree: true })).toBe(
      'Audit: U0REVIEW1 agreed with what ops-agent did (2026-03-01T10:00:00.000Z).',
    );
    expect(
      auditVerdictText({ agentId: 'ops-agent', by: 'U0REVIEW1', at, agree: false, reason: 'wrong service' }),
    ).toBe('Audit: U0REVIEW1 disagreed (2026-03-01T10:00:00.000Z): wrong service');
  });

  it('closes an expired audit with the reason the ledger gives, or that nobody reviewed it', () => {
    expect(auditExpiredText('a3', null)).toBe('Audit a3 expired: nobody reviewed it in time.');
    expect(auditExpiredText('a3')).toBe('Audit a3 expired: nobody reviewed it in time.');
    expect(auditExpiredText('a4', 'the open-audit cap was reached')).toBe(
      'Audit a4 expired: the open-audit cap was reached.',
    );
  });
});

describe('promotion proposal wording', () => {
  const facts = {
    agentId: 'ops-agent',
    taskClass: 'deploy',
    from: 2,
    to: 3,
    criteria: [
      { criterion: 'samples', ok: true, detail: '40 ≥ 30' },
      { criterion: 'approval-rate', ok: false, detail: '90% < 95%' },
    ],
  };

  it('names the step up, and shows one mrkdwn line per criterion with whether it is met', () => {
    expect(proposalWording(facts)).toEqual({
      title: 'ops-agent: rung 2 → 3 in deploy',
      text: [
        'The evidence meets every threshold for promotion:',
        '✅ *samples*: 40 ≥ 30',
        '❌ *approval-rate*: 90% < 95%',
        'Approve to raise ops-agent one rung in deploy; decline to keep it where it is.',
      ].join('\n'),
    });
  });

  it('names the owner first in the class channel, and the message builder reads that mention back as the only live one', () => {
    const text = proposalForOwnerText('U0OWNER01', 'ops-agent', 'Evidence <!channel>');
    expect(text).toBe('<@U0OWNER01>, ops-agent has earned a proposal. Evidence <!channel>');
    expect(proposalOwnerMention(text)).toEqual({ userId: 'U0OWNER01', length: '<@U0OWNER01>, '.length });
    const n = { kind: 'promotion-proposal', text } as Notification;
    expect(notificationText(n)).toBe(
      '<@U0OWNER01>, ops-agent has earned a proposal. Evidence &lt;!channel&gt;',
    );
    // Anything else at the start is not the owner mention.
    expect(proposalOwnerMention('ops-agent has earned a proposal.')).toBeNull();
    expect(proposalOwnerMention('<!channel>, hello')).toBeNull();
    expect(proposalOwnerMention(' <@U0OWNER01>, late')).toBeNull();
  });

  it('closes with the decision: the rung reached when approved, the clean period restarting when declined', () => {
    const at = '2026-03-02T09:30:00.000Z';
    expect(proposalDecidedText({ approved: true, by: 'U0ADMIN01', at, rung: 3, taskClass: 'deploy' })).toBe(
      'Approved by U0ADMIN01 at 2026-03-02T09:30:00.000Z: now at rung 3 in deploy.',
    );
    expect(proposalDecidedText({ approved: false, by: 'U0ADMIN01', at })).toBe(
      'Declined by U0ADMIN01 at 2026-03-02T09:30:00.000Z; the clean period starts again.',
    );
  });
});

describe('rung change wording', () => {
  it('tells a demotion with its cause, who reported it when someone did, and the evidence', () => {
    const change = {
      agentId: 'ops-agent',
      taskClass: 'deploy',
      from: 4,
      to: 2,
      cause: 'defect reported',
      evidence: '1 defect in 12 executed',
    };
    expect(demotionWording({ ...change, by: 'U0SRE0002' })).toEqual({
      title: 'ops-agent demoted: rung 4 → 2 in deploy',
      text: 'defect reported. Reported by U0SRE0002. Evidence at the time: 1 defect in 12 executed.',
    });
    expect(demotionWording({ ...change, by: null }).text).toBe(
      'defect reported. Evidence at the time: 1 defect in 12 executed.',
    );
  });

  it('tells a class rollback with the cap, its cause and the command that releases it', () => {
    expect(
      classRollbackWording({ taskClass: 'deploy', cap: 2, cause: 'audit disagreement above 5%' }),
    ).toEqual({
      title: 'deploy: scope reduced to rung 2 for every agent',
      text: 'audit disagreement above 5%. Every agent in deploy is capped at rung 2 until an admin releases it (`ladder unfreeze --class deploy`).',
    });
  });
});
