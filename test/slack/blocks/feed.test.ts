import type { Notification } from '../../../activities/notify/notifier';
import { feedFallbackText, feedMessageBlocks } from '../../../slack/blocks/feed';
import type { FeedEntry } from '../../../workflows/channel-feed-messages';

function entry(i: number, n: Partial<Notification> = {}): FeedEntry {
  return {
    key: `task/a3/t${i}/executed`,
    notification: {
      kind: 'executed',
      workflowId: `task/a3/t${i}`,
      agentId: 'a3',
      taskClass: 'ops',
      channel: '#ops',
      title: `task ${i}`,
      text: 'Executed: 1 of 1 step(s) ran.',
      actions: ['report-defect'],
      link: `http://localhost:8233/namespaces/default/workflows/task%2Fa3%2Ft${i}`,
      ...n,
    },
  };
}

describe('feedMessageBlocks', () => {
  it('gives every announcement of a digest its own line and its own Report a defect button', () => {
    const blocks = feedMessageBlocks({
      kind: 'digest',
      channel: '#ops',
      entries: [entry(1), entry(2)],
      more: 0,
    });
    const json = JSON.stringify(blocks);
    expect(blocks.filter((b) => b.type === 'section')).toHaveLength(2);
    expect(json.match(/ladder_report_defect/g)).toHaveLength(2);
    expect(json).toContain('"value":"task/a3/t1"');
    expect(json).toContain('"value":"task/a3/t2"');
    expect(feedFallbackText({ kind: 'digest', channel: '#ops', entries: [entry(1)], more: 2 })).toBe(
      '3 task(s) ran on their own authority',
    );
  });

  it('escapes what agents wrote', () => {
    const blocks = feedMessageBlocks({
      kind: 'digest',
      channel: '#ops',
      entries: [entry(1, { title: '<!channel> hi', text: '<http://evil|click>' })],
      more: 0,
    });
    const json = JSON.stringify(blocks);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<http://evil');
    expect(json).toContain('&lt;!channel&gt;');
  });

  it('lists pending requests with their own buttons, bound to their steps, within Slack’s limits', () => {
    const requests = Array.from({ length: 30 }, (_, i) =>
      entry(i, {
        kind: 'approval-request',
        actions: ['approve', 'reject'],
        fields: { stepsHash: 'a'.repeat(64) },
        text: 'Needs your approval before it runs:\n1. write x'.padEnd(5_000, 'y'),
      }),
    );
    const blocks = feedMessageBlocks({
      kind: 'pending-requests',
      channel: '#ops',
      entries: requests,
      more: 70,
    });
    expect(blocks.length).toBeLessThanOrEqual(50);
    const json = JSON.stringify(blocks);
    expect(json).toContain(`"value":"task/a3/t0#${'a'.repeat(64)}"`);
    expect(json).toContain('and 70 more');
    for (const b of blocks)
      if (b.type === 'section') expect((b.text as { text: string }).text.length).toBeLessThanOrEqual(3000);
  });

  it('offers no buttons once no request is held back', () => {
    const blocks = feedMessageBlocks({ kind: 'pending-requests', channel: '#ops', entries: [], more: 0 });
    expect(JSON.stringify(blocks)).not.toContain('ladder_');
    expect(feedFallbackText({ kind: 'pending-requests', channel: '#ops', entries: [], more: 0 })).toMatch(
      /No requests are waiting/,
    );
  });
});
