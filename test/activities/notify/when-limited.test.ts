import { ChannelHeat, COOL_DOWN_MIN_MS, whenLimited } from '../../../activities/notify/when-limited';
import type { Notification } from '../../../activities/notify/notifier';

const base: Notification = {
  kind: 'executed',
  workflowId: 'task/a3/t1',
  agentId: 'a3',
  taskClass: 'ops',
  channel: '#ops',
  title: 't',
  text: 'x',
};

describe('whenLimited', () => {
  it('sends announcements to the digest, lists requests, and lets the rest wait', () => {
    expect(whenLimited({ ...base, actions: ['report-defect'] })).toBe('digest');
    expect(whenLimited({ ...base, kind: 'approval-request', actions: ['approve', 'reject'] })).toBe(
      'list-pending',
    );
    expect(whenLimited({ ...base, kind: 'suggestion', actions: ['done', 'dismiss'] })).toBe('list-pending');
    // A request with no buttons left has nothing to answer in a list.
    expect(whenLimited({ ...base, kind: 'approval-request', actions: [] })).toBe('wait');
    expect(whenLimited({ ...base, kind: 'report', actions: ['mark-read'] })).toBe('wait');
    expect(whenLimited({ ...base, kind: 'outcome' })).toBe('wait');
  });

  it('lets direct messages wait: the channel limit and its feed are about channels', () => {
    expect(whenLimited({ ...base, to: 'U0OWNER01' })).toBe('wait');
    expect(whenLimited({ ...base, kind: 'approval-request', actions: ['approve'], to: 'U0OWNER01' })).toBe(
      'wait',
    );
    expect(whenLimited({ ...base, to: 'channel' })).toBe('digest');
  });
});

describe('ChannelHeat', () => {
  it('cools a refused channel for Retry-After, at least the minimum, and only that channel', () => {
    const heat = new ChannelHeat();
    expect(heat.remainingMs('#ops', 0)).toBe(0);
    heat.refused('#ops', 1_000, 10_000);
    expect(heat.remainingMs('#ops', 10_000)).toBe(COOL_DOWN_MIN_MS);
    expect(heat.remainingMs('#db', 10_000)).toBe(0);
    heat.refused('#ops', 30_000, 11_000);
    expect(heat.remainingMs('#ops', 11_000)).toBe(30_000);
    // A shorter refusal later never shortens the cool-down.
    heat.refused('#ops', 1_000, 12_000);
    expect(heat.remainingMs('#ops', 12_000)).toBe(29_000);
    expect(heat.remainingMs('#ops', 41_000)).toBe(0);
  });
});
